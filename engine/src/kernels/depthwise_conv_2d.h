// Depthwise 2-D convolution (every group reads one input channel — MobileNet's 3x3 layers) run
// directly, not as a GEMM: a group's GEMM would be 1 x (kh*kw) x out_size, all packing and no
// reuse. A 3x3 undilated conv with stride 1 or 2 copies the channel into a zero-padded plane
// (split by row and column parity for stride 2) and computes each output row in 8-float blocks
// of nine shifted multiply-adds, bias and activation included, written straight to the output;
// other geometries accumulate kh x kw shifted input rows into the output row. Same contract as
// reference::Conv (plus the activation), tested against it.
#pragma once

#include <cstddef>

#include "kernels/reference/conv.h"
#include "kernels/reference/fused_activation.h"

namespace kinglet::runtime {
class ThreadPool;
}

namespace kinglet::kernels {

// True for a 2-D conv whose groups each have exactly one input channel (any channel
// multiplier, stride, dilation, padding).
bool DepthwiseConv2dApplies(const reference::ConvParams& p);

// Scratch for `threads` threads (the padded plane of the 3x3 path; 0 otherwise).
size_t DepthwiseConv2dScratchBytes(const reference::ConvParams& p, int threads);

// Output channels (of every image) are split across `pool` (null: the calling thread);
// `scratch` was sized for pool->size() threads (1 without a pool).
void DepthwiseConv2d(const reference::ConvParams& p, const float* x, const float* w, const float* bias,
                     const reference::FusedActivationParams& activation, float* y, runtime::ThreadPool* pool,
                     void* scratch);

}  // namespace kinglet::kernels
