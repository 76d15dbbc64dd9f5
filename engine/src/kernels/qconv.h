// Int8 convolution for ungrouped 2-D convs whose weights an artifact stores as int8, on the int8
// GEMM's tiles (kernels/qgemm.h) with the roles turned around: W [M x K] is quantized per output
// channel once at load as the tile's rows of A, and each image is quantized symmetrically with one
// scale at run time (per image; ONNX Runtime's DynamicQuantizeLinear is per tensor too, but
// asymmetric) and its receptive fields
// gathered straight into the tile's block layout, eight output pixels of one output row per block.
// The sums come out as Y [M x pixels], already NCHW: no float patch matrix, no per-pixel
// quantization, no transpose. Scales, bias and the activation are applied as each row is stored.
// Where the kernel has an unsigned wide tile (AVX-512 VNNI; portable), the image is stored with a zero
// point of 128 (each byte's top bit flipped) and each channel's sums corrected by 128 times its
// weights' sum, which saves the sign instruction the signed tiles need.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/qgemm.h"
#include "kernels/reference/conv.h"
#include "kernels/reference/fused_activation.h"

namespace kinglet::runtime {
class ThreadPool;
}

namespace kinglet::kernels {

struct QConvWeights {
  std::vector<int8_t> rows;   // M rows of QGemmRowBytes(K) bytes
  std::vector<float> scales;  // per output channel; NaN for one holding a NaN or an infinity
  std::vector<int32_t> sums;  // per output channel, of its quantized weights (for a zero point)
};

bool QConvApplies(const reference::ConvParams& p);

// Whether to run a conv QConvApplies to in int8 rather than by im2col and the float GEMM: where
// the kernel's int8 convolution beats float at all, and the layer has at least 32 output
// channels and 32 taps per output — below that, gathering and interleaving the receptive fields
// costs more than the int8 products save (gemm_bench: LeNet-5's conv1, 20 channels of 25 taps,
// 1.4x float's time; SqueezeNet's 16-channel squeezes 1.7x). Convs that Winograd runs stay float
// (int8 ties with it at best).
bool QConvPays(const QGemmKernel& kernel, const reference::ConvParams& p);

QConvWeights QuantizeConvWeights(const reference::ConvParams& p, const float* w);

size_t QConvScratchBytes(const reference::ConvParams& p, int threads);

// Returns false, having written nothing, when X holds a NaN or an infinity: one scale per image
// would spread it to every output, where float arithmetic confines it to the receptive fields
// that hold it; the caller runs a float conv instead. `pool` may be null (one thread).
bool QConv(const QGemmKernel& kernel, const reference::ConvParams& p, const QConvWeights& w, const float* x,
           const float* bias, const reference::FusedActivationParams& activation, float* y,
           runtime::ThreadPool* pool, void* scratch);

}  // namespace kinglet::kernels
