#include "kinglet/compression/kgl_writer.h"

#include <cstring>
#include <string>
#include <vector>

#include "atomic_file.h"
#include "format/crc32.h"
#include "format/kgl_format.h"

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

// Fills the constants table and the payload section together: each payload starts aligned.
void ConstantSections(const ir::Graph& g, std::string* table, std::string* payload) {
  ByteWriter t, p;
  t.Put<uint32_t>(static_cast<uint32_t>(g.constants.size()));
  for (const auto& [index, tensor] : g.constants) {
    p.PadTo(kPayloadAlignment);
    const uint64_t offset = p.bytes().size();
    p.PutBytes(tensor.raw_data(), tensor.byte_size());
    t.Put<int32_t>(index);
    t.Put<uint8_t>(static_cast<uint8_t>(ir::Encoding::kDenseRaw));
    t.Put<uint64_t>(offset);
    t.Put<uint64_t>(tensor.byte_size());
  }
  *table = std::move(t.bytes());
  *payload = std::move(p.bytes());
}

}  // namespace

Result<std::string> SerializeKgl(const ir::Graph& graph) {
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
  ConstantSections(graph, &sections[1].bytes, &sections[2].bytes);
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

Status WriteKglFile(const ir::Graph& graph, const std::string& path) {
  KINGLET_ASSIGN_OR_RETURN(std::string bytes, SerializeKgl(graph));
  return WriteFileAtomically(path, bytes);
}

}  // namespace kinglet::compression
