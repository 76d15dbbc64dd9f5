// 3x3 stride-1 convolution by Winograd's minimal filtering (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", CVPR 2016), F(2x2, 3x3) or F(4x4, 3x3): an m x m output tile
// costs (m + 2)^2 multiplies per (input, output) channel pair instead of 9 m^2 — 2.25x fewer for
// m = 2, 4x for m = 4. The input is cut into overlapping (m + 2)^2 tiles and transformed
// (V = B^T d B), the weights once at load (U = G g G^T); the element-wise products summed over
// input channels are (m + 2)^2 GEMMs U[xi] (M x C) * V[xi] (C x tiles) on the packed GEMM; the
// output transform (Y = A^T m A) adds bias and the fused activation.
//
// The tile is chosen per layer (ChooseWinogradTile): F(4x4) wins on large planes, but a small one
// has too few 4x4 tiles to fill the GEMM's column panels. F(2x2)'s transforms use only 0, +-1 and
// 1/2 and keep float32 accuracy; F(4x4)'s points 0, +-1, +-2 scale terms by up to 8, which costs
// about one decimal digit (~1e-6 relative on ImageNet-size layers, far inside what inference
// tolerates; ncnn and NNPACK ship the same transform). Its weights are transformed in double.
// Same contract as reference::Conv (plus the activation), which it is tested against.
#pragma once

#include <cstddef>
#include <cstdint>
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

// Below this many input or output channels the transforms cost more than they save.
constexpr int64_t kWinogradMinChannels = 16;

// WinogradConv3x3Applies and both channel counts at least kWinogradMinChannels: the convs the
// engine runs by Winograd.
bool WinogradConv3x3Pays(const reference::ConvParams& p);

// The output tile edge, 2 or 4, whose GEMMs run fewer multiply-adds for this shape on `kernel`.
int ChooseWinogradTile(const SgemmKernel& kernel, const reference::ConvParams& p);

// The transformed input and the GEMMs' products of one block of tile rows take at most this
// many bytes; larger planes run block by block, so a 224x224 layer with 64 channels each way
// needs 8 MB of scratch instead of 100 MB (and the block stays nearer the caches).
constexpr int64_t kWinogradMaxBlockBytes = 8 << 20;

// U[xi] for each of the (tile + 2)^2 points, each packed as the A operand of an M x C GEMM.
struct WinogradWeights {
  int tile = 2;
  int64_t max_block_bytes = kWinogradMaxBlockBytes;  // tests shrink it to run many blocks
  std::vector<PackedMatrix> transformed;
};

WinogradWeights TransformWinogradWeights(const SgemmKernel& kernel, const reference::ConvParams& p,
                                         const float* w, int tile);

size_t WinogradConv3x3ScratchBytes(const SgemmKernel& kernel, const reference::ConvParams& p,
                                   const WinogradWeights& weights, int threads);

void WinogradConv3x3(const SgemmKernel& kernel, const reference::ConvParams& p,
                     const WinogradWeights& weights, const float* x, const float* bias,
                     const reference::FusedActivationParams& activation, float* y, runtime::ThreadPool* pool,
                     void* scratch);

}  // namespace kinglet::kernels
