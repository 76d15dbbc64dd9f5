// ONNX -> graph IR, on Debian's libonnx (checker and shape inference).
#pragma once

#include <string>

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::compression {

constexpr int64_t kMinOnnxOpset = 7;
constexpr int64_t kMaxOnnxOpset = 17;

// Parses, checks and shape-infers an ONNX model, then converts it. Errors name the node, the
// op and the opset ("node 'conv3' (Conv, opset 13): ..."). Unsupported ops, attributes, dtypes
// or opsets give StatusCode::kUnsupported; malformed files give kInvalidArgument.
Result<ir::Graph> ImportOnnxFile(const std::string& path);
Result<ir::Graph> ImportOnnxBytes(const std::string& bytes, const std::string& source_name);

}  // namespace kinglet::compression
