#include "format/kgl_reader.h"

#include <string>
#include <vector>

#include "format/byte_reader.h"
#include "format/crc32.h"
#include "format/kgl_format.h"
#include "format/tensor_decoder.h"
#include "runtime/status_format.h"

namespace kinglet::format {
namespace {

Status CorruptWith(const char* what, std::initializer_list<MessageArg> args) {
  return CorruptionError(
      "invalid .kgl file: {}; the file is truncated or damaged — re-download or re-convert it",
      FormatMessageList(what, args));
}

// "invalid .kgl file: <what>; ...", `what` filled in as status_format.h describes.
template <typename... Args>
Status Corrupt(const char* what, const Args&... args) {
  return CorruptWith(what, {args...});
}

struct Section {
  uint32_t kind = 0;
  uint32_t crc = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

Status ReadShape(ByteReader& r, Shape* shape, bool allow_unknown, const std::string& what) {
  uint32_t rank = 0;
  if (!r.ReadCount(&rank, sizeof(int64_t)) || rank > kMaxRank) return Corrupt("bad rank of {}", what);
  shape->resize(rank);
  int64_t elements = 1;
  for (uint32_t i = 0; i < rank; ++i) {
    int64_t d = 0;
    if (!r.Read(&d)) return Corrupt("truncated shape of {}", what);
    if (d < (allow_unknown ? -1 : 0) || d > kMaxElements) return Corrupt("bad dimension in {}", what);
    if (d > 0) {
      if (elements > kMaxElements / d) return Corrupt("shape of {} is too large", what);
      elements *= d;
    }
    (*shape)[i] = d;
  }
  return Status::Ok();
}

Status ReadAttribute(ByteReader& r, ir::Attribute* a) {
  uint8_t kind = 0;
  if (!r.ReadString(&a->name, kMaxStringLength) || !r.Read(&kind)) return Corrupt("truncated attribute");
  using Kind = ir::Attribute::Kind;
  a->kind = static_cast<Kind>(kind);
  uint32_t n = 0;
  switch (a->kind) {
    case Kind::kInt:
      if (!r.Read(&a->i)) return Corrupt("truncated attribute '{}'", a->name);
      return Status::Ok();
    case Kind::kFloat:
      if (!r.Read(&a->f)) return Corrupt("truncated attribute '{}'", a->name);
      return Status::Ok();
    case Kind::kString:
      if (!r.ReadString(&a->s, kMaxStringLength)) return Corrupt("truncated attribute '{}'", a->name);
      return Status::Ok();
    case Kind::kInts:
      if (!r.ReadCount(&n, sizeof(int64_t))) return Corrupt("bad length of attribute '{}'", a->name);
      a->ints.resize(n);
      if (!r.ReadBytes(a->ints.data(), n * sizeof(int64_t))) return Corrupt("truncated attribute");
      return Status::Ok();
    case Kind::kFloats:
      if (!r.ReadCount(&n, sizeof(float))) return Corrupt("bad length of attribute '{}'", a->name);
      a->floats.resize(n);
      if (!r.ReadBytes(a->floats.data(), n * sizeof(float))) return Corrupt("truncated attribute");
      return Status::Ok();
    case Kind::kStrings:
      if (!r.ReadCount(&n, sizeof(uint32_t))) return Corrupt("bad length of attribute '{}'", a->name);
      a->strings.resize(n);
      for (auto& s : a->strings) {
        if (!r.ReadString(&s, kMaxStringLength)) return Corrupt("truncated attribute '{}'", a->name);
      }
      return Status::Ok();
  }
  return Corrupt("unknown attribute kind {} for '{}'", kind, a->name);
}

Status ReadIndexList(ByteReader& r, int32_t value_count, bool allow_none, std::vector<int32_t>* out,
                     const std::string& what) {
  uint32_t n = 0;
  if (!r.ReadCount(&n, sizeof(int32_t))) return Corrupt("bad count of {}", what);
  out->resize(n);
  for (auto& v : *out) {
    if (!r.Read(&v)) return Corrupt("truncated {}", what);
    if (v >= value_count || v < (allow_none ? ir::kNoValue : 0))
      return Corrupt("bad value index in {}", what);
  }
  return Status::Ok();
}

Status ReadGraphSection(ByteReader r, ir::Graph* g) {
  if (!r.Read(&g->opset)) return Corrupt("truncated graph section");
  uint32_t n = 0;
  // A value needs at least name length (4) + dtype (4) + known (1) + rank (4) bytes.
  if (!r.ReadCount(&n, 13)) return Corrupt("bad value count");
  g->values.resize(n);
  for (auto& v : g->values) {
    int32_t dtype = 0;
    uint8_t known = 0;
    if (!r.ReadString(&v.name, kMaxStringLength) || !r.Read(&dtype) || !r.Read(&known)) {
      return Corrupt("truncated value table");
    }
    if (!IsKnownDataType(dtype)) return Corrupt("value '{}' has unknown dtype {}", v.name, dtype);
    v.dtype = static_cast<DataType>(dtype);
    v.shape_known = known != 0;
    KINGLET_RETURN_IF_ERROR(ReadShape(r, &v.shape, /*allow_unknown=*/true, "value '" + v.name + "'"));
  }
  const int32_t value_count = static_cast<int32_t>(g->values.size());
  KINGLET_RETURN_IF_ERROR(ReadIndexList(r, value_count, false, &g->inputs, "graph inputs"));
  KINGLET_RETURN_IF_ERROR(ReadIndexList(r, value_count, false, &g->outputs, "graph outputs"));
  // A node needs at least two string lengths and three counts.
  if (!r.ReadCount(&n, 20)) return Corrupt("bad node count");
  g->nodes.resize(n);
  for (auto& node : g->nodes) {
    if (!r.ReadString(&node.name, kMaxStringLength) || !r.ReadString(&node.op_type, kMaxStringLength)) {
      return Corrupt("truncated node table");
    }
    const std::string what = "node '" + node.name + "'";
    KINGLET_RETURN_IF_ERROR(ReadIndexList(r, value_count, true, &node.inputs, what + " inputs"));
    KINGLET_RETURN_IF_ERROR(ReadIndexList(r, value_count, true, &node.outputs, what + " outputs"));
    uint32_t attr_count = 0;
    if (!r.ReadCount(&attr_count, 5)) return Corrupt("bad attribute count of {}", what);
    for (uint32_t i = 0; i < attr_count; ++i) {
      ir::Attribute a;
      KINGLET_RETURN_IF_ERROR(ReadAttribute(r, &a));
      node.attrs.Set(std::move(a));
    }
  }
  if (r.remaining() != 0) return Corrupt("trailing bytes in graph section");
  return Status::Ok();
}

Status ReadConstantsSection(ByteReader r, const uint8_t* payload, uint64_t payload_size, ir::Graph* g) {
  uint32_t n = 0;
  if (!r.ReadCount(&n, 4 + 1 + 8 + 8)) return Corrupt("bad constant count");
  for (uint32_t i = 0; i < n; ++i) {
    int32_t index = 0;
    uint8_t encoding = 0;
    uint64_t offset = 0, size = 0;
    if (!r.Read(&index) || !r.Read(&encoding) || !r.Read(&offset) || !r.Read(&size)) {
      return Corrupt("truncated constant table");
    }
    if (index < 0 || index >= static_cast<int32_t>(g->values.size())) return Corrupt("bad constant index");
    ir::Value& value = g->values[index];
    if (!value.shape_known) return Corrupt("constant '{}' has no shape", value.name);
    for (int64_t d : value.shape) {
      if (d < 0) return Corrupt("constant '{}' has an unknown dimension", value.name);
    }
    if (g->constants.count(index)) return Corrupt("constant '{}' stored twice", value.name);
    if (offset > payload_size || size > payload_size - offset) {
      return Corrupt("payload of constant '{}' is out of bounds", value.name);
    }
    // Dense payloads are used in place, so they must be aligned; compressed ones are decoded.
    if (encoding == static_cast<uint8_t>(ir::Encoding::kDenseRaw) && offset % kPayloadAlignment != 0) {
      return Corrupt("payload of constant '{}' is misaligned", value.name);
    }
    switch (static_cast<ir::Encoding>(encoding)) {
      case ir::Encoding::kDenseRaw: {
        const uint64_t expected = static_cast<uint64_t>(ElementCount(value.shape)) * DataTypeSize(value.dtype);
        if (size != expected)
          return Corrupt("payload size of constant '{}' does not match its shape", value.name);
        g->constants[index] = Tensor::View(value.dtype, value.shape, const_cast<uint8_t*>(payload + offset));
        g->constant_storage[index] = {ir::Encoding::kDenseRaw, "dense", size};
        break;
      }
      case ir::Encoding::kCompressed: {
        if (value.dtype != DataType::kFloat32) {
          return Corrupt("constant '{}' is {}; only float32 constants can be compressed", value.name,
                         DataTypeName(value.dtype));
        }
        // Decoded once here; the owned tensor replaces the view a dense constant would be.
        auto decoded = DecodeCompressedTensor(payload + offset, size, value.shape);
        if (!decoded.ok())
          return Corrupt("compressed constant '{}': {}", value.name, decoded.status().message());
        g->constants[index] = std::move(decoded->tensor);
        g->constant_storage[index] = {ir::Encoding::kCompressed, std::move(decoded->encoding_name), size};
        break;
      }
      default:
        return UnsupportedError(
            "constant '{}' uses encoding {} which this engine does not know; upgrade Kinglet", value.name,
            encoding);
    }
    g->constant_encoding[index] = static_cast<ir::Encoding>(encoding);
  }
  if (r.remaining() != 0) return Corrupt("trailing bytes in constants section");
  return Status::Ok();
}

Status ReadMetadataSection(ByteReader r, ir::Graph* g) {
  uint32_t n = 0;
  if (!r.ReadCount(&n, 8)) return Corrupt("bad metadata count");
  for (uint32_t i = 0; i < n; ++i) {
    std::string key, value;
    if (!r.ReadString(&key, kMaxStringLength) || !r.ReadString(&value, kMaxStringLength)) {
      return Corrupt("truncated metadata");
    }
    g->metadata[key] = value;
  }
  if (r.remaining() != 0) return Corrupt("trailing bytes in metadata section");
  return Status::Ok();
}

// Sections must follow the table in file order, each at the next aligned offset, with zero
// padding between them and nothing after the last: then every byte of the file is covered by a
// checksum or a zero check, and a flipped bit anywhere is detected.
Status CheckTiling(const uint8_t* data, size_t size, size_t table_end, const std::vector<Section>& sections) {
  uint64_t cursor = table_end;
  for (const Section& s : sections) {
    const uint64_t aligned = (cursor + kPayloadAlignment - 1) / kPayloadAlignment * kPayloadAlignment;
    if (s.offset != aligned) return Corrupt("sections are not laid out contiguously");
    for (uint64_t i = cursor; i < aligned; ++i) {
      if (data[i] != 0) return Corrupt("non-zero padding before a section");
    }
    cursor = s.offset + s.size;
  }
  if (cursor != size) return Corrupt("trailing bytes after the last section");
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ir::Graph>> ReadKgl(const uint8_t* data, size_t size) {
  if (size < kHeaderSize) return Corrupt("file is {} bytes, shorter than the header", size);
  if (std::memcmp(data + kOffMagic, kMagic, sizeof(kMagic)) != 0) {
    return CorruptionError("not a .kgl file (bad magic); convert the ONNX model with `kinglet convert`");
  }
  const uint16_t major = Load<uint16_t>(data + kOffMajor);
  if (major > kFormatMajor) {
    return UnsupportedError(
        ".kgl format version {}.{} is newer than this engine reads ({}.x); upgrade Kinglet or re-convert "
        "with a matching version",
        major, Load<uint16_t>(data + kOffMinor), kFormatMajor);
  }
  if (major == 0) return Corrupt("format version 0");
  const uint32_t section_count = Load<uint32_t>(data + kOffSectionCount);
  const uint64_t file_size = Load<uint64_t>(data + kOffFileSize);
  const uint64_t table_offset = Load<uint64_t>(data + kOffSectionTable);
  if (file_size != size) {
    return Corrupt("header says {} bytes but the file has {}", file_size, size);
  }
  if (section_count == 0 || section_count > kMaxSections) return Corrupt("bad section count");
  if (table_offset < kHeaderSize || table_offset > size ||
      section_count * kSectionEntrySize > size - table_offset) {
    return Corrupt("section table out of bounds");
  }
  uint32_t crc = Crc32(0, data, kOffHeaderCrc);
  crc = Crc32(crc, data + table_offset, section_count * kSectionEntrySize);
  if (crc != Load<uint32_t>(data + kOffHeaderCrc)) return Corrupt("header checksum mismatch");

  const Section* graph_s = nullptr;
  const Section* consts_s = nullptr;
  const Section* payload_s = nullptr;
  const Section* meta_s = nullptr;
  std::vector<Section> sections(section_count);
  for (uint32_t i = 0; i < section_count; ++i) {
    const uint8_t* e = data + table_offset + i * kSectionEntrySize;
    Section& s = sections[i];
    s.kind = Load<uint32_t>(e);
    s.crc = Load<uint32_t>(e + 4);
    s.offset = Load<uint64_t>(e + 8);
    s.size = Load<uint64_t>(e + 16);
    if (s.offset > size || s.size > size - s.offset) return Corrupt("section {} out of bounds", i);
    if (Crc32(0, data + s.offset, s.size) != s.crc) return Corrupt("section {} checksum mismatch", i);
    const Section** slot = nullptr;
    switch (static_cast<SectionKind>(s.kind)) {
      case SectionKind::kGraph: slot = &graph_s; break;
      case SectionKind::kConstants: slot = &consts_s; break;
      case SectionKind::kPayload: slot = &payload_s; break;
      case SectionKind::kMetadata: slot = &meta_s; break;
      default: continue;  // a newer minor version's optional section: skip it
    }
    if (*slot != nullptr) return Corrupt("duplicate section kind {}", s.kind);
    *slot = &s;
  }
  if (!graph_s || !consts_s || !payload_s) return Corrupt("a required section is missing");
  KINGLET_RETURN_IF_ERROR(CheckTiling(data, size, table_offset + section_count * kSectionEntrySize, sections));
  if (payload_s->offset % kPayloadAlignment != 0) return Corrupt("payload section is misaligned");

  auto graph = std::make_unique<ir::Graph>();
  KINGLET_RETURN_IF_ERROR(ReadGraphSection(ByteReader(data + graph_s->offset, graph_s->size), graph.get()));
  KINGLET_RETURN_IF_ERROR(ReadConstantsSection(ByteReader(data + consts_s->offset, consts_s->size),
                                               data + payload_s->offset, payload_s->size, graph.get()));
  if (meta_s) KINGLET_RETURN_IF_ERROR(ReadMetadataSection(ByteReader(data + meta_s->offset, meta_s->size), graph.get()));
  const std::string problem = ir::ValidateGraph(*graph);
  if (!problem.empty()) return Corrupt("{}", problem);
  return graph;
}

}  // namespace kinglet::format
