// The AVX-512 VNNI int8 GEMM tile (kernels/qgemm.h), on 256-bit registers (AVX-512VL).
#pragma once

#include "kernels/qgemm.h"

namespace kinglet::kernels::x86 {

const QGemmKernel& VnniQGemmKernel();

}  // namespace kinglet::kernels::x86
