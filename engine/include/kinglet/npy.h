// NumPy .npy files (format versions 1.0-3.0, C order, little-endian): how evaluation data,
// reference inputs and outputs move between Python tools and Kinglet.
//
// Reading accepts float32, float64 (converted to float32), int64, int32, uint8, int8 and bool;
// everything else is a clear Unsupported error. Every header field is validated.
#pragma once

#include <string>

#include "kinglet/status.h"
#include "kinglet/tensor.h"

namespace kinglet {

Result<Tensor> ReadNpy(const std::string& path);
Result<Tensor> ParseNpy(const std::string& bytes);
// Serialises float32/int64/int32/uint8/int8/bool tensors.
Result<std::string> SerializeNpy(const Tensor& tensor);

}  // namespace kinglet
