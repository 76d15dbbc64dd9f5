// The aarch64 int8 GEMM tiles (kernels/qgemm.h): ARMv8.0 NEON, which every 64-bit phone core
// has, and the ARMv8.2 dot-product extension (sdot), for cores that report it.
#pragma once

#include "kernels/qgemm.h"

namespace kinglet::kernels::arm {

const QGemmKernel& NeonQGemmKernel();
const QGemmKernel& NeonDotQGemmKernel();

}  // namespace kinglet::kernels::arm
