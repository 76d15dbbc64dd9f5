// The aarch64 SGEMM tile (NEON is part of the ARMv8-A baseline, so no runtime check).
#pragma once

#include "kernels/sgemm.h"

namespace kinglet::kernels::arm {

const SgemmKernel& NeonSgemmKernel();

}  // namespace kinglet::kernels::arm
