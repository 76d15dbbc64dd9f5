// The aarch64 int8 GEMM tile (kernels/qgemm.h), ARMv8.0 NEON: no dot-product extension needed.
#pragma once

#include "kernels/qgemm.h"

namespace kinglet::kernels::arm {

const QGemmKernel& NeonQGemmKernel();

}  // namespace kinglet::kernels::arm
