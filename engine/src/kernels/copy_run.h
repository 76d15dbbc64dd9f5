// Copying the short rows of small planes (7-112 floats: an im2col row, a depthwise output row).
#pragma once

#include <cstdint>
#include <cstring>

namespace kinglet::kernels {

// Copies count floats in whole 8-float blocks, the last one overlapping its predecessor (src and
// dst must not overlap): a short row then costs one to a few vector moves, where std::copy is a
// library call per row and a counted loop spends more on its prologue and remainder than on the
// copy.
inline void CopyShortRun(const float* src, int64_t count, float* dst) {
  constexpr int64_t kBlock = 8;
  if (count < kBlock) {
    // 4-7 floats (7x7 planes' rows): two overlapping 4-float moves.
    constexpr int64_t kHalf = kBlock / 2;
    if (count >= kHalf) {
      std::memcpy(dst, src, sizeof(float) * kHalf);
      std::memcpy(dst + count - kHalf, src + count - kHalf, sizeof(float) * kHalf);
      return;
    }
    for (int64_t j = 0; j < count; ++j) dst[j] = src[j];
    return;
  }
  for (int64_t j = 0; j + kBlock <= count; j += kBlock) std::memcpy(dst + j, src + j, sizeof(float) * kBlock);
  if (count % kBlock != 0) {
    std::memcpy(dst + count - kBlock, src + count - kBlock, sizeof(float) * kBlock);
  }
}

}  // namespace kinglet::kernels
