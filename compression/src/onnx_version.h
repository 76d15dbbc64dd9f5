// The default-domain opset of an ONNX model, and bringing it into the range the importer runs
// (kMinOnnxOpset..kMaxOnnxOpset) with libonnx's version converter.
#pragma once

#include <cstdint>

#include "kinglet/status.h"
#include "onnx/onnx_pb.h"

namespace kinglet::compression {

// The model's default-domain ("" or "ai.onnx") opset; 1 for IR 1-2 files, which import none.
int64_t DefaultOnnxOpset(const onnx::ModelProto& model);

// Ok if `opset` is supported as is or ConvertToSupportedOpset can try to reach the supported
// range from it; else Unsupported "opset 18 is not supported; supported opsets are 7..17 ...".
// Cheap, and meant to run before the checker: a model from a newer ONNX than the linked libonnx
// should be told its opset is unsupported, not that the checker does not know its ops.
Status CheckOpsetReachable(int64_t opset);

// Rewrites `model` (which must pass the ONNX checker) so that its default opset is supported,
// and returns that opset. In-range models are left untouched. Older models are upgraded to
// kMinOnnxOpset, the smallest step, since every adapter is a chance to get something wrong;
// newer ones are downgraded to kMaxOnnxOpset where libonnx has the adapters. The result passes
// the checker again. Errors are Unsupported "opset 6 model could not be converted to opset 7:
// <the converter's reason>".
Result<int64_t> ConvertToSupportedOpset(onnx::ModelProto* model);

}  // namespace kinglet::compression
