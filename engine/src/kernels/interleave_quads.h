// Four rows of eight int8 values into the int8 GEMM's block layout (kernels/qgemm.h): dst[4j + d]
// = rows[d][j], so each 32-bit word is one column's quad. The int8 convolution gathers its
// receptive fields a row of eight output pixels at a time and interleaves them with this. SSE2 and
// NEON are baseline on x86-64 and aarch64, so the choice is made at compile time; the portable
// loop is the specification the others are tested against.
#pragma once

#include <cstdint>

#if defined(__SSE2__)
#include "kernels/x86/interleave_quads_sse2.h"
#elif defined(__ARM_NEON)
#include "kernels/arm/interleave_quads_neon.h"
#endif

namespace kinglet::kernels {

inline void InterleaveQuadsPortable(const int8_t* const rows[4], int8_t* dst) {
  for (int j = 0; j < 8; ++j) {
    for (int d = 0; d < 4; ++d) dst[4 * j + d] = rows[d][j];
  }
}

inline void InterleaveQuads(const int8_t* const rows[4], int8_t* dst) {
#if defined(__SSE2__)
  x86::InterleaveQuadsSse2(rows, dst);
#elif defined(__ARM_NEON)
  arm::InterleaveQuadsNeon(rows, dst);
#else
  InterleaveQuadsPortable(rows, dst);
#endif
}

}  // namespace kinglet::kernels
