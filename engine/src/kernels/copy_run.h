// Copying the short rows of small planes (7-112 floats: an im2col row, a depthwise output row).
#pragma once

#include <cstdint>
#include <cstring>

namespace kinglet::kernels {

// Copies count (at most 8) floats in two overlapping moves of 4, 2 or 1: no library call and no
// loop (GCC turns a short copy loop into a call to memcpy).
inline void CopyFewFloats(const float* src, int64_t count, float* dst) {
  if (count >= 4) {
    std::memcpy(dst, src, sizeof(float) * 4);
    std::memcpy(dst + count - 4, src + count - 4, sizeof(float) * 4);
  } else if (count >= 2) {
    std::memcpy(dst, src, sizeof(float) * 2);
    std::memcpy(dst + count - 2, src + count - 2, sizeof(float) * 2);
  } else if (count == 1) {
    dst[0] = src[0];
  }
}

// Copies count floats in whole 8-float blocks, the last one overlapping its predecessor (src and
// dst must not overlap): a short row then costs one to a few vector moves, where std::copy is a
// library call per row and a counted loop spends more on its prologue and remainder than on the
// copy.
inline void CopyShortRun(const float* src, int64_t count, float* dst) {
  constexpr int64_t kBlock = 8;
  if (count < kBlock) return CopyFewFloats(src, count, dst);  // 7x7 planes' rows
  for (int64_t j = 0; j + kBlock <= count; j += kBlock) std::memcpy(dst + j, src + j, sizeof(float) * kBlock);
  if (count % kBlock != 0) {
    std::memcpy(dst + count - kBlock, src + count - kBlock, sizeof(float) * kBlock);
  }
}

}  // namespace kinglet::kernels
