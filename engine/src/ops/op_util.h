// Small checks and shape arithmetic shared by op Prepare functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kinglet/status.h"
#include "ops/op.h"

namespace kinglet::ops {

// Errors from ops say what is wrong; the session prefixes "node 'x' (Op, opset N): ".
Status ExpectInputCount(const OpContext& ctx, size_t min, size_t max);
// Exactly one output, present (a .kgl node may omit outputs nobody reads).
Status ExpectSingleOutput(const OpContext& ctx);
Status ExpectDtype(const TensorRef* t, DataType dtype, const char* what);
Status ExpectRank(const TensorRef* t, int64_t rank, const char* what);

// Maps a possibly negative axis into [0, rank); error if out of range.
Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank);

// Numpy-style multidirectional broadcast of two shapes.
Result<Shape> BroadcastShapes(const Shape& a, const Shape& b);

// Reads a constant int32/int64 tensor (shape operands: Reshape's shape, Slice's starts, ...).
// Error if the tensor is not available at planning time.
Result<std::vector<int64_t>> ReadConstantInts(const TensorRef* t, const char* what);
// Same for a float scalar/vector operand (Clip's min/max, Pad's value).
Result<std::vector<float>> ReadConstantFloats(const TensorRef* t, const char* what);

// Row-major strides for `shape`, in elements.
std::vector<int64_t> Strides(const Shape& shape);

// Strides of `in` broadcast to `out` (0 on broadcast dims); `in` is right-aligned to `out`.
std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out);

}  // namespace kinglet::ops
