// Splitting a row into its even and odd elements: stride-2 kernels (depthwise 3x3, max pool) read
// each column parity as a contiguous plane, so a block of outputs is a few shifted vector loads.
#pragma once

#include <cstdint>

#include "kernels/lanes.h"

namespace kinglet::kernels {

// even[j] = src[2j] and odd[j] = src[2j + 1] for the `count` floats of src (an odd count's last
// one goes to even), in blocks of 8 or 4 pairs, the last one overlapping its predecessor (as
// CopyShortRun): the compiler's own loop left the 7-28 pairs of MobileNet's small stride-2 rows
// mostly to its scalar remainder. Always inlined, so it is compiled for its caller's ISA.
[[gnu::always_inline]] inline void Deinterleave(const float* src, int64_t count, float* even, float* odd) {
  constexpr int64_t kBlock = 8;
  const int64_t pairs = count / 2;
  if (count % 2 != 0) even[pairs] = src[count - 1];
  if (pairs >= kBlock) {
    const LaneIndices8 even_lanes = {0, 2, 4, 6, 8, 10, 12, 14}, odd_lanes = even_lanes + 1;
    auto block = [&](int64_t j) {
      Lanes8 a, b;
      LoadLanes(src + 2 * j, &a);
      LoadLanes(src + 2 * j + kBlock, &b);
      StoreLanes(__builtin_shuffle(a, b, even_lanes), even + j);
      StoreLanes(__builtin_shuffle(a, b, odd_lanes), odd + j);
    };
    for (int64_t j = 0; j + kBlock <= pairs; j += kBlock) block(j);
    if (pairs % kBlock != 0) block(pairs - kBlock);
  } else if (pairs >= 4) {
    const LaneIndices4 even_lanes = {0, 2, 4, 6}, odd_lanes = even_lanes + 1;
    auto block = [&](int64_t j) {
      Lanes4 a, b;
      LoadLanes(src + 2 * j, &a);
      LoadLanes(src + 2 * j + 4, &b);
      StoreLanes(__builtin_shuffle(a, b, even_lanes), even + j);
      StoreLanes(__builtin_shuffle(a, b, odd_lanes), odd + j);
    };
    block(0);
    if (pairs > 4) block(pairs - 4);
  } else {
    for (int64_t j = 0; j < pairs; ++j) {
      even[j] = src[2 * j];
      odd[j] = src[2 * j + 1];
    }
  }
}

}  // namespace kinglet::kernels
