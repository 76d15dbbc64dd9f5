// The graph IR shared by the .kgl reader (engine) and the importer/writer (compression).
//
// Values (tensors) are numbered; nodes refer to them by index. A node input of kNoValue is an
// omitted optional input (ONNX's empty name). Nodes are stored in topological order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/attributes.h"
#include "kinglet/tensor.h"

namespace kinglet::ir {

constexpr int32_t kNoValue = -1;

// Dims < 0 are unknown until the session sees a concrete input.
struct Value {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;
  bool shape_known = false;  // false: rank unknown too
};

// How a constant tensor is stored in a .kgl. Codes are part of the format; never renumber.
enum class Encoding : uint8_t {
  kDenseRaw = 1,    // little-endian elements of the tensor's dtype, as-is
  kCompressed = 2,  // float32 only: tagged fp16 / int8 / codebook values, optional sparsity and
                    // Huffman-coded streams (format/tensor_decoder.h; FORMAT.md)
};
const char* EncodingName(Encoding encoding);

// How a constant was stored in the artifact the graph was read from. `name` is finer than the
// Encoding code ("dense", "fp16", "int8", "kmeans4", "sparse+kmeans5+huffman").
struct StoredConstant {
  Encoding encoding = Encoding::kDenseRaw;
  std::string name;
  uint64_t stored_bytes = 0;  // payload bytes in the artifact (not the decoded size)
};

struct Node {
  std::string name;
  std::string op_type;
  std::vector<int32_t> inputs;
  std::vector<int32_t> outputs;
  Attributes attrs;
};

struct Graph {
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<int32_t> inputs;   // graph inputs the caller feeds (not constants)
  std::vector<int32_t> outputs;
  // Value index -> dense data. Dense constants read from a .kgl view the artifact's bytes;
  // decoded (compressed) ones own their buffer.
  std::map<int32_t, Tensor> constants;
  std::map<int32_t, Encoding> constant_encoding;  // how each constant was stored
  // Filled by the .kgl reader only; absent for graphs built in memory (counted as dense).
  std::map<int32_t, StoredConstant> constant_storage;
  int64_t opset = 13;            // default ONNX domain opset the graph was written for
  std::map<std::string, std::string> metadata;  // producer, source file, ...

  int32_t AddValue(Value value);
  // Index of the value called `name`, or kNoValue.
  int32_t FindValue(const std::string& name) const;
};

// Structural checks every consumer relies on: indices in range, each value produced once,
// nodes topologically ordered, constants match their value's dtype and shape.
// Returns a description of the first problem, or an empty string.
std::string ValidateGraph(const Graph& graph);

}  // namespace kinglet::ir
