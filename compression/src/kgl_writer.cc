#include "kinglet/compression/kgl_writer.h"

#include <cstring>
#include <string>
#include <vector>

#include "kinglet/compression/atomic_file.h"
#include "format/crc32.h"
#include "format/kgl_format.h"
#include "format/tensor_decoder.h"

namespace kinglet::compression {
namespace {

using format::kPayloadAlignment;

class ByteWriter {
 public:
  template <typename T>
  void Put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out_.append(b, sizeof(T));
  }
  void PutBytes(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  void PutString(const std::string& s) {
    Put<uint32_t>(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void PadTo(size_t alignment) { out_.resize((out_.size() + alignment - 1) / alignment * alignment, '\0'); }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

void PutShape(ByteWriter& w, const Shape& shape) {
  w.Put<uint32_t>(static_cast<uint32_t>(shape.size()));
  for (int64_t d : shape) w.Put<int64_t>(d);
}

void PutIndices(ByteWriter& w, const std::vector<int32_t>& indices) {
  w.Put<uint32_t>(static_cast<uint32_t>(indices.size()));
  for (int32_t v : indices) w.Put<int32_t>(v);
}

void PutAttribute(ByteWriter& w, const ir::Attribute& a) {
  using Kind = ir::Attribute::Kind;
  w.PutString(a.name);
  w.Put<uint8_t>(static_cast<uint8_t>(a.kind));
  switch (a.kind) {
    case Kind::kInt: w.Put<int64_t>(a.i); break;
    case Kind::kFloat: w.Put<float>(a.f); break;
    case Kind::kString: w.PutString(a.s); break;
    case Kind::kInts:
      w.Put<uint32_t>(static_cast<uint32_t>(a.ints.size()));
      w.PutBytes(a.ints.data(), a.ints.size() * sizeof(int64_t));
      break;
    case Kind::kFloats:
      w.Put<uint32_t>(static_cast<uint32_t>(a.floats.size()));
      w.PutBytes(a.floats.data(), a.floats.size() * sizeof(float));
      break;
    case Kind::kStrings:
      w.Put<uint32_t>(static_cast<uint32_t>(a.strings.size()));
      for (const auto& s : a.strings) w.PutString(s);
      break;
  }
}

std::string GraphSection(const ir::Graph& g) {
  ByteWriter w;
  w.Put<int64_t>(g.opset);
  w.Put<uint32_t>(static_cast<uint32_t>(g.values.size()));
  for (const auto& v : g.values) {
    w.PutString(v.name);
    w.Put<int32_t>(static_cast<int32_t>(v.dtype));
    w.Put<uint8_t>(v.shape_known ? 1 : 0);
    PutShape(w, v.shape_known ? v.shape : Shape{});
  }
  PutIndices(w, g.inputs);
  PutIndices(w, g.outputs);
  w.Put<uint32_t>(static_cast<uint32_t>(g.nodes.size()));
  for (const auto& n : g.nodes) {
    w.PutString(n.name);
    w.PutString(n.op_type);
    PutIndices(w, n.inputs);
    PutIndices(w, n.outputs);
    w.Put<uint32_t>(static_cast<uint32_t>(n.attrs.all().size()));
    for (const auto& a : n.attrs.all()) PutAttribute(w, a);
  }
  return std::move(w.bytes());
}

std::string MetadataSection(const ir::Graph& g) {
  ByteWriter w;
  w.Put<uint32_t>(static_cast<uint32_t>(g.metadata.size()));
  for (const auto& [k, v] : g.metadata) {
    w.PutString(k);
    w.PutString(v);
  }
  return std::move(w.bytes());
}

// The safety net: an encoded payload must decode, with the engine's decoder, to exactly the
// constant the graph holds — the values the accuracy guard evaluated.
Status CheckEncoded(const ir::Graph& g, int32_t index, const EncodedConstant& e) {
  const ir::Value& value = g.values[index];
  const Tensor& want = g.constants.at(index);
  const std::string what = "constant '" + value.name + "'";
  std::string name = "dense";
  switch (e.encoding) {
    case ir::Encoding::kDenseRaw:
      if (e.payload.size() != want.byte_size() ||
          (want.byte_size() && std::memcmp(e.payload.data(), want.raw_data(), want.byte_size()) != 0)) {
        return Status::Internal(what + ": its dense payload differs from the graph's constant");
      }
      break;
    case ir::Encoding::kCompressed: {
      if (value.dtype != DataType::kFloat32) {
        return Status::InvalidArgument(what + " is " + DataTypeName(value.dtype) + "; only float32 can be compressed");
      }
      auto decoded = format::DecodeCompressedTensor(reinterpret_cast<const uint8_t*>(e.payload.data()),
                                                    e.payload.size(), value.shape);
      if (!decoded.ok()) {
        return Status::Internal(what + ": the engine cannot decode its payload: " + decoded.status().message());
      }
      const Tensor& got = decoded->tensor;
      if (got.byte_size() != want.byte_size() ||
          (want.byte_size() && std::memcmp(got.raw_data(), want.raw_data(), want.byte_size()) != 0)) {
        return Status::Internal(what + ": its payload decodes to different values than the graph holds; set "
                                "graph.constants to DecodeToDense() of what was encoded");
      }
      name = decoded->encoding_name;
      break;
    }
    default:
      return Status::InvalidArgument(what + ": unknown encoding " + std::to_string(static_cast<int>(e.encoding)));
  }
  if (!e.name.empty() && e.name != name) {
    return Status::Internal(what + ": encoder says '" + e.name + "' but the payload decodes as '" + name + "'");
  }
  return Status::Ok();
}

// Fills the constants table and the payload section together: each dense payload starts
// aligned; compressed ones (decoded at load) are packed.
Status ConstantSections(const ir::Graph& g, const std::map<int32_t, EncodedConstant>& encoded,
                        std::string* table, std::string* payload) {
  for (const auto& [index, e] : encoded) {
    if (!g.constants.count(index)) {
      return Status::InvalidArgument("an encoded constant is given for value " + std::to_string(index) +
                                     ", which is not a constant of the graph");
    }
    KINGLET_RETURN_IF_ERROR(CheckEncoded(g, index, e));
  }
  ByteWriter t, p;
  t.Put<uint32_t>(static_cast<uint32_t>(g.constants.size()));
  for (const auto& [index, tensor] : g.constants) {
    auto e = encoded.find(index);
    if (e == encoded.end()) p.PadTo(kPayloadAlignment);  // dense payloads are used in place
    const uint64_t offset = p.bytes().size();
    ir::Encoding encoding = ir::Encoding::kDenseRaw;
    uint64_t size = tensor.byte_size();
    if (e == encoded.end()) {
      p.PutBytes(tensor.raw_data(), tensor.byte_size());
    } else {
      encoding = e->second.encoding;
      size = e->second.payload.size();
      p.PutBytes(e->second.payload.data(), size);
    }
    t.Put<int32_t>(index);
    t.Put<uint8_t>(static_cast<uint8_t>(encoding));
    t.Put<uint64_t>(offset);
    t.Put<uint64_t>(size);
  }
  *table = std::move(t.bytes());
  *payload = std::move(p.bytes());
  return Status::Ok();
}

}  // namespace

Result<std::string> SerializeKgl(const ir::Graph& graph, const std::map<int32_t, EncodedConstant>& encoded) {
  const std::string problem = ir::ValidateGraph(graph);
  if (!problem.empty()) return Status::InvalidArgument("cannot write an invalid graph: " + problem);

  struct Pending {
    format::SectionKind kind;
    std::string bytes;
  };
  std::vector<Pending> sections(4);
  sections[0] = {format::SectionKind::kGraph, GraphSection(graph)};
  sections[1].kind = format::SectionKind::kConstants;
  sections[2].kind = format::SectionKind::kPayload;
  KINGLET_RETURN_IF_ERROR(ConstantSections(graph, encoded, &sections[1].bytes, &sections[2].bytes));
  sections[3] = {format::SectionKind::kMetadata, MetadataSection(graph)};

  const size_t table_offset = format::kHeaderSize;
  ByteWriter body;  // everything after the header and the section table
  size_t cursor = table_offset + sections.size() * format::kSectionEntrySize;
  ByteWriter table;
  for (const auto& s : sections) {
    // Every section starts aligned, so the payload is aligned in the file and in memory.
    const size_t aligned = (cursor + kPayloadAlignment - 1) / kPayloadAlignment * kPayloadAlignment;
    body.bytes().append(aligned - cursor, '\0');
    cursor = aligned;
    table.Put<uint32_t>(static_cast<uint32_t>(s.kind));
    table.Put<uint32_t>(format::Crc32(0, s.bytes.data(), s.bytes.size()));
    table.Put<uint64_t>(cursor);
    table.Put<uint64_t>(s.bytes.size());
    table.Put<uint64_t>(0);
    body.bytes() += s.bytes;
    cursor += s.bytes.size();
  }

  std::string header(format::kHeaderSize, '\0');
  std::memcpy(&header[format::kOffMagic], format::kMagic, sizeof(format::kMagic));
  auto put = [&header](size_t off, auto v) { std::memcpy(&header[off], &v, sizeof(v)); };
  put(format::kOffMajor, format::kFormatMajor);
  put(format::kOffMinor, format::kFormatMinor);
  put(format::kOffSectionCount, static_cast<uint32_t>(sections.size()));
  put(format::kOffFileSize, static_cast<uint64_t>(cursor));
  put(format::kOffSectionTable, static_cast<uint64_t>(table_offset));
  put(format::kOffFlags, uint32_t{0});
  uint32_t crc = format::Crc32(0, header.data(), format::kOffHeaderCrc);
  crc = format::Crc32(crc, table.bytes().data(), table.bytes().size());
  put(format::kOffHeaderCrc, crc);

  std::string out = header + table.bytes() + body.bytes();
  if (out.size() != cursor) return Status::Internal("kgl writer size mismatch");
  return out;
}

Status WriteKglFile(const ir::Graph& graph, const std::string& path,
                    const std::map<int32_t, EncodedConstant>& encoded) {
  KINGLET_ASSIGN_OR_RETURN(std::string bytes, SerializeKgl(graph, encoded));
  return WriteFileAtomically(path, bytes);
}

}  // namespace kinglet::compression
