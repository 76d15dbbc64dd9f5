// Reference Softmax / LogSoftmax along one axis of a tensor viewed as [outer, axis, inner].
//
// Opset 13 and later normalise along a single axis; earlier opsets flatten the input to 2-D at
// `axis` and normalise each row. Both are this view: the caller folds the dims (before opset 13,
// inner == 1 and axis_size is the product of the trailing dims).
#pragma once

#include <cstdint>

namespace kinglet::kernels::reference {

struct SoftmaxParams {
  int64_t outer = 1;
  int64_t axis_size = 1;
  int64_t inner = 1;
};

// Scratch floats the kernels need: a running max and sum for each of the `inner` columns, so
// that every pass reads memory contiguously even when the axis is not the last dim.
inline int64_t SoftmaxScratchFloats(const SoftmaxParams& p) { return 2 * p.inner; }

// Subtracts the max before exp, so large inputs do not overflow. y may alias x.
void Softmax(const SoftmaxParams& p, const float* x, float* y, float* scratch);
void LogSoftmax(const SoftmaxParams& p, const float* x, float* y, float* scratch);

}  // namespace kinglet::kernels::reference
