// ONNX TensorProto <-> kinglet::Tensor, shared by the importer and the conformance test (which
// reads the expected inputs/outputs of libonnx-testdata as TensorProtos).
#pragma once

#include <cstdint>
#include <string>

#include "kinglet/status.h"
#include "kinglet/tensor.h"
#include "onnx/onnx_pb.h"

namespace kinglet::compression {

// "float32", "float16", "float64", "string", ... for an ONNX TensorProto.DataType code; used in
// messages, so that an unsupported dtype reads "dtype float16" everywhere.
std::string OnnxDataTypeName(int32_t onnx_code);

// The Kinglet dtype for an ONNX code, or Unsupported "<what>: dtype float16 is not supported
// (supported: ...)". Code 0 (undefined) maps to kUndefined without error.
Result<DataType> DataTypeFromOnnx(int32_t onnx_code, const std::string& what);

// Decodes a dense TensorProto (float_data / int32_data / int64_data / raw_data) into a freshly
// allocated Tensor. Element counts are checked against the declared dims before anything is
// allocated, so a hostile proto cannot request a huge buffer it does not back with data.
// Errors: Unsupported for dtypes Kinglet does not run, external data and segmented tensors;
// InvalidArgument for negative dims or data that does not match the dims.
Result<Tensor> DecodeTensorProto(const onnx::TensorProto& proto);

}  // namespace kinglet::compression
