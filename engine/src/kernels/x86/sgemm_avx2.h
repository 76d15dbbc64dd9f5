// The AVX2 + FMA3 GEMM tile (x86-64 only; this file's .cc is built with -mavx2 -mfma and must
// only run where DetectCpuFeatures().avx2_fma holds).
#pragma once

#include "kernels/sgemm.h"

namespace kinglet::kernels::x86 {

const SgemmKernel& Avx2SgemmKernel();

}  // namespace kinglet::kernels::x86
