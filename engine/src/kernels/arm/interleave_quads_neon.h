// kernels/interleave_quads.h on NEON: one four-register interleaving store.
#pragma once

#include <arm_neon.h>

#include <cstdint>

namespace kinglet::kernels::arm {

inline void InterleaveQuadsNeon(const int8_t* const rows[4], int8_t* dst) {
  const int8x8x4_t r = {{vld1_s8(rows[0]), vld1_s8(rows[1]), vld1_s8(rows[2]), vld1_s8(rows[3])}};
  vst4_s8(dst, r);
}

}  // namespace kinglet::kernels::arm
