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
  kDenseRaw = 1,  // little-endian elements of the tensor's dtype, as-is
};
const char* EncodingName(Encoding encoding);

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
  std::map<int32_t, Tensor> constants;          // value index -> decoded dense data
  std::map<int32_t, Encoding> constant_encoding;  // how each constant was stored
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
