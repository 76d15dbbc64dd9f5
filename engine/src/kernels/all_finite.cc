#include "kernels/all_finite.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "kernels/simd_clones.h"

namespace kinglet::kernels {

KINGLET_SIMD_CLONES bool AllFinite(const float* x, int64_t n) {
  // |x| <= FLT_MAX is false exactly for infinities and NaN. The failures are OR-ed over a block
  // with no branch, so the loop vectorises; blocks end the scan early once one is found.
  constexpr int64_t kBlock = 4096;
  for (int64_t begin = 0; begin < n; begin += kBlock) {
    const int64_t end = std::min(n, begin + kBlock);
    int bad = 0;
    for (int64_t i = begin; i < end; ++i) bad |= !(std::fabs(x[i]) <= FLT_MAX);
    if (bad != 0) return false;
  }
  return true;
}

}  // namespace kinglet::kernels
