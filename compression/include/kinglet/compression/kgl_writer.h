// Writes the .kgl container (layout: engine/src/format/FORMAT.md) from the graph IR.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::compression {

// A constant's stored form, as produced by the encoders in compression/encode/
// (EncodeConstant in encode/compressed_tensor.h).
struct EncodedConstant {
  ir::Encoding encoding = ir::Encoding::kCompressed;
  std::string payload;  // the bytes stored in the payload section
  std::string name;     // "kmeans5+huffman", ...; checked against the decoder's name if not empty
};

// Serialises `graph` to .kgl bytes. Constants listed in `encoded` (value index -> stored form)
// are written in that form, the rest dense. Fails with InvalidArgument if the graph does not
// validate or `encoded` names a value that is not a constant, and with Internal if an encoded
// payload does not decode (with the engine's own decoder) to graph.constants[index] bit for bit:
// graph.constants must hold what the engine will compute with (DecodeToDense).
Result<std::string> SerializeKgl(const ir::Graph& graph, const std::map<int32_t, EncodedConstant>& encoded = {});

// SerializeKgl, then writes atomically: temp file in the same directory, fsync, rename, fsync
// of the directory. On failure the previous file at `path`, if any, is left untouched.
Status WriteKglFile(const ir::Graph& graph, const std::string& path,
                    const std::map<int32_t, EncodedConstant>& encoded = {});

}  // namespace kinglet::compression
