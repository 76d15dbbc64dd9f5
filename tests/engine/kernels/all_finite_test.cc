// AllFinite: one NaN or infinity anywhere (first, last, across its 4096-float blocks, in a short
// tail) makes it false; finite extremes do not.
#include "kernels/all_finite.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <limits>
#include <vector>

namespace kinglet::kernels {
namespace {

TEST(AllFiniteTest, FindsEveryNonFiniteValueAndNothingElse) {
  EXPECT_TRUE(AllFinite(nullptr, 0));
  const float bad[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity()};
  for (int64_t n : {1, 7, 8, 9, 4095, 4096, 4097, 10000}) {
    std::vector<float> x(n, 1.0f);
    x[0] = FLT_MAX;
    x[n - 1] = -FLT_MAX;
    if (n > 2) x[n / 2] = FLT_MIN;
    EXPECT_TRUE(AllFinite(x.data(), n)) << n;
    for (float v : bad) {
      for (int64_t at : {int64_t{0}, n / 2, n - 1}) {
        std::vector<float> y = x;
        y[at] = v;
        EXPECT_FALSE(AllFinite(y.data(), n)) << "n=" << n << " at " << at << " value " << v;
      }
    }
  }
}

}  // namespace
}  // namespace kinglet::kernels
