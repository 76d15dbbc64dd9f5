#include "kinglet/npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "runtime/status_format.h"

namespace kinglet {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMaxHeaderLength = 1 << 16;
constexpr int64_t kMaxElements = int64_t{1} << 34;

Status BadWith(const char* what, std::initializer_list<MessageArg> args) {
  return InvalidArgumentError("not a valid .npy file: {}", FormatMessageList(what, args));
}

template <typename... Args>
Status Bad(const char* what, const Args&... args) {
  return BadWith(what, {args...});
}

// Value of `key` in the header dict: the text after "'key':" up to the next top-level comma.
bool FindField(const std::string& header, const std::string& key, std::string* value) {
  const size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return false;
  size_t p = header.find(':', k);
  if (p == std::string::npos) return false;
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  size_t end = p;
  if (p < header.size() && header[p] == '(') {
    end = header.find(')', p);
    if (end == std::string::npos) return false;
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  }
  *value = header.substr(p, end - p);
  while (!value->empty() && value->back() == ' ') value->pop_back();
  return true;
}

Result<Shape> ParseShape(const std::string& text) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') return Bad("shape is not a tuple");
  Shape shape;
  int64_t elements = 1;
  size_t p = 1;
  while (p < text.size() - 1) {
    while (p < text.size() - 1 && (text[p] == ' ' || text[p] == ',')) ++p;
    if (p >= text.size() - 1) break;
    int64_t d = 0;
    bool digits = false;
    while (p < text.size() - 1 && text[p] >= '0' && text[p] <= '9') {
      d = d * 10 + (text[p] - '0');
      digits = true;
      if (d > kMaxElements) return Bad("dimension too large");
      ++p;
    }
    while (p < text.size() - 1 && text[p] == 'L') ++p;
    if (!digits) return Bad("shape has a non-numeric dimension");
    if (d > 0 && elements > kMaxElements / d) return Bad("shape too large");
    elements *= d > 0 ? d : 1;
    shape.push_back(d);
    if (shape.size() > 16) return Bad("too many dimensions");
  }
  return shape;
}

struct DtypeInfo {
  const char* descr;
  DataType dtype;
  size_t file_size;
};

constexpr DtypeInfo kDtypes[] = {
    {"<f4", DataType::kFloat32, 4}, {"<f8", DataType::kFloat32, 8}, {"<i8", DataType::kInt64, 8},
    {"<i4", DataType::kInt32, 4},   {"|u1", DataType::kUint8, 1},   {"|i1", DataType::kInt8, 1},
    {"|b1", DataType::kBool, 1},
};

}  // namespace

Result<Tensor> ParseNpy(const std::string& bytes) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) return Bad("missing \\x93NUMPY magic");
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Bad("truncated header");
    uint32_t n;
    std::memcpy(&n, bytes.data() + 8, 4);
    header_len = n;
    header_start = 12;
  } else {
    return UnsupportedError(".npy format version {} is not supported", major);
  }
  if (header_len > kMaxHeaderLength || header_start + header_len > bytes.size()) return Bad("truncated header");
  const std::string header = bytes.substr(header_start, header_len);
  std::string descr, fortran, shape_text;
  if (!FindField(header, "descr", &descr) || !FindField(header, "fortran_order", &fortran) ||
      !FindField(header, "shape", &shape_text)) {
    return Bad("header lacks descr, fortran_order or shape");
  }
  if (fortran != "False") return UnsupportedError(".npy in Fortran order; save with np.ascontiguousarray");
  if (descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"')) descr = descr.substr(1, descr.size() - 2);
  if (descr == "<b1" || descr == "=b1") descr = "|b1";
  if (descr == "<u1") descr = "|u1";
  if (descr == "<i1") descr = "|i1";
  const DtypeInfo* info = nullptr;
  for (const DtypeInfo& d : kDtypes) {
    if (descr == d.descr) info = &d;
  }
  if (info == nullptr) {
    return UnsupportedError(".npy dtype '{}' is not supported; use float32, int64, int32, uint8 or bool",
                            descr);
  }
  KINGLET_ASSIGN_OR_RETURN(Shape shape, ParseShape(shape_text));
  const size_t data_start = header_start + header_len;
  const uint64_t count = static_cast<uint64_t>(ElementCount(shape));
  if ((bytes.size() - data_start) / info->file_size < count) {
    return Bad("data is shorter than shape {} needs", shape);
  }
  Tensor t(info->dtype, shape);
  const char* src = bytes.data() + data_start;
  if (info->file_size == 8 && info->dtype == DataType::kFloat32) {
    float* dst = t.data<float>();
    for (uint64_t i = 0; i < count; ++i) {
      double v;
      std::memcpy(&v, src + i * 8, 8);
      dst[i] = static_cast<float>(v);
    }
  } else if (count > 0) {
    std::memcpy(t.raw_data(), src, count * info->file_size);
  }
  return t;
}

Result<Tensor> ReadNpy(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return NotFoundError("cannot open '{}': {}", path, std::strerror(errno));
  std::string bytes;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.append(buf, n);
  std::fclose(f);
  auto t = ParseNpy(bytes);
  if (!t.ok()) return t.status().WithContext(path);
  return t;
}

Result<std::string> SerializeNpy(const Tensor& tensor) {
  const char* descr = nullptr;
  for (const DtypeInfo& d : kDtypes) {
    if (d.dtype == tensor.dtype() && d.file_size == DataTypeSize(d.dtype)) descr = d.descr;
  }
  if (descr == nullptr) return UnsupportedError("cannot write dtype {}", DataTypeName(tensor.dtype()));
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape().size(); ++i) {
    shape += std::to_string(tensor.shape()[i]);
    shape += tensor.shape().size() == 1 ? "," : (i + 1 < tensor.shape().size() ? ", " : "");
  }
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so the data starts on a 64-byte boundary, ending the header with a newline.
  const size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>((header.size() >> 8) & 0xFF);
  out += header;
  out.append(static_cast<const char*>(tensor.raw_data()), tensor.byte_size());
  return out;
}

}  // namespace kinglet
