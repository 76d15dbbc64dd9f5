// The AVX2 int8 GEMM tile (kernels/qgemm.h).
#pragma once

#include "kernels/qgemm.h"

namespace kinglet::kernels::x86 {

const QGemmKernel& Avx2QGemmKernel();

}  // namespace kinglet::kernels::x86
