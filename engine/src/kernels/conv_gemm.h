// Convolution as im2col + the packed GEMM (kernels/sgemm.h), for every geometry the reference
// Conv handles (grouped, strided, dilated, padded, N-d). kernels/reference/conv.h is its
// specification; the same ConvParams and the same validation in the op's Prepare apply.
#pragma once

#include <cstddef>

#include "kernels/reference/conv.h"
#include "kernels/sgemm.h"

namespace kinglet::kernels {

// Bytes of scratch ConvGemm needs: the im2col matrix of one group plus the GEMM's packing.
size_t ConvGemmScratchBytes(const SgemmKernel& kernel, const reference::ConvParams& p);

// Same contract as reference::Conv.
void ConvGemm(const SgemmKernel& kernel, const reference::ConvParams& p, const float* x, const float* w,
              const float* bias, float* y, void* scratch);

}  // namespace kinglet::kernels
