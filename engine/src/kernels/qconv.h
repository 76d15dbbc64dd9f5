// Int8 convolution for ungrouped 2-D convs whose weights an artifact stores as int8, on the int8
// GEMM's tiles (kernels/qgemm.h) with the roles turned around: W [M x K] is quantized per output
// channel once at load as the tile's rows of A, and each image is quantized symmetrically with one
// scale at run time (per tensor, as ONNX Runtime's DynamicQuantizeLinear) and its receptive fields
// gathered straight into the tile's block layout, eight output pixels of one output row per block.
// The sums come out as Y [M x pixels], already NCHW: no float patch matrix, no per-pixel
// quantization, no transpose. Scales, bias and the activation are applied as each row is stored.
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
};

bool QConvApplies(const reference::ConvParams& p);

QConvWeights QuantizeConvWeights(const reference::ConvParams& p, const float* w);

size_t QConvScratchBytes(const reference::ConvParams& p, int threads);

// Returns false, having written nothing, when X holds a NaN or an infinity: one scale per image
// would spread it to every output, where float arithmetic confines it to the receptive fields
// that hold it; the caller runs a float conv instead. `pool` may be null (one thread).
bool QConv(const QGemmKernel& kernel, const reference::ConvParams& p, const QConvWeights& w, const float* x,
           const float* bias, const reference::FusedActivationParams& activation, float* y,
           runtime::ThreadPool* pool, void* scratch);

}  // namespace kinglet::kernels
