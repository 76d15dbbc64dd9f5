// 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", CVPR 2016): each 2x2 output tile costs 16
// multiplies per (input, output) channel pair instead of 36, 2.25x fewer. The input is cut into
// overlapping 4x4 tiles and transformed (V = B^T d B), the weights once at load (U = G g G^T);
// the 16 element-wise products summed over input channels are 16 GEMMs U[xi] (M x C) * V[xi]
// (C x tiles) on the packed GEMM; the output transform (Y = A^T m A) adds bias and the fused
// activation. F(2x2, 3x3)'s transforms use only 0, +-1 and 1/2, so it keeps float32 accuracy
// (F(4x4, 3x3) would save more but loses about two digits).
// Same contract as reference::Conv (plus the activation), which it is tested against.
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/reference/conv.h"
#include "kernels/reference/fused_activation.h"
#include "kernels/sgemm.h"

namespace kinglet::runtime {
class ThreadPool;
}

namespace kinglet::kernels {

// True for a 2-D, ungrouped, undilated 3x3 conv with unit strides (any padding).
bool WinogradConv3x3Applies(const reference::ConvParams& p);

// U[xi] for xi in 0..15, each packed as the A operand of an M x C GEMM.
struct WinogradWeights {
  std::vector<PackedMatrix> transformed;
};

WinogradWeights TransformWinogradWeights(const SgemmKernel& kernel, const reference::ConvParams& p, const float* w);

size_t WinogradConv3x3ScratchBytes(const SgemmKernel& kernel, const reference::ConvParams& p, int threads);

void WinogradConv3x3(const SgemmKernel& kernel, const reference::ConvParams& p, const WinogradWeights& weights,
                     const float* x, const float* bias, const reference::FusedActivationParams& activation, float* y,
                     runtime::ThreadPool* pool, void* scratch);

}  // namespace kinglet::kernels
