// The AVX-512F GEMM tile (x86-64 only; this file's .cc is built with -mavx512f and must only
// run where DetectCpuFeatures().avx512f holds).
#pragma once

#include "kernels/sgemm.h"

namespace kinglet::kernels::x86 {

const SgemmKernel& Avx512SgemmKernel();

}  // namespace kinglet::kernels::x86
