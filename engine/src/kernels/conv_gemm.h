// Convolution as a GEMM per group: Y_g[M/group x out_size] = W_g * im2col(X_g), for every
// geometry the reference Conv handles (grouped, strided, dilated, padded, N-d).
// kernels/reference/conv.h is its specification; the op's Prepare validates the ConvParams.
//
// Strategy by shape: a pointwise conv reads X as the B matrix in place; a 2-D conv builds its
// column matrix in bands of output rows small enough to stay in L2 (a small conv's is one band),
// and each band is one GEMM that reads it in place; other ranks build the whole column matrix
// first. Weights are packed once at load; bias and a fused activation run in the GEMM's epilogue.
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

// W packed as the A operand of each group's GEMM.
struct ConvGemmWeights {
  std::vector<PackedMatrix> groups;
};

ConvGemmWeights PackConvGemmWeights(const SgemmKernel& kernel, const reference::ConvParams& p, const float* w);

struct ConvGemmArgs {
  const float* x = nullptr;
  const float* w = nullptr;                   // read when `packed` is null
  const ConvGemmWeights* packed = nullptr;    // from PackConvGemmWeights, or null
  const float* bias = nullptr;                // [out_channels] or null
  reference::FusedActivationParams activation;
  float* y = nullptr;
};

// Bytes of scratch ConvGemm needs with `threads` threads (64-byte multiple).
size_t ConvGemmScratchBytes(const SgemmKernel& kernel, const reference::ConvParams& p, bool packed_weights,
                            int threads);

// The im2col matrix [channels * kh * kw, out_h * out_w] of `channels` planes of a 2-D conv, as
// reference::Im2Col writes it but with rows `row_stride` (>= out_h * out_w) floats apart, each
// output row's run copied or gathered in one loop.
void Im2Col2d(const reference::ConvParams& p, const float* x, int64_t channels, int64_t row_stride,
              float* col);

// Same result as reference::Conv followed by the activation. `pool` may be null (one thread);
// otherwise `scratch` was sized for pool->size() threads.
void ConvGemm(const SgemmKernel& kernel, const reference::ConvParams& p, const ConvGemmArgs& args,
              runtime::ThreadPool* pool, void* scratch);

}  // namespace kinglet::kernels
