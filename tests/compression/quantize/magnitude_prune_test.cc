#include "quantize/magnitude_prune.h"

#include <gtest/gtest.h>

#include <cmath>

#include "synthetic_layer.h"

namespace kinglet::compression::quantize {
namespace {

int64_t Pruned(const Mask& m) {
  int64_t p = 0;
  for (uint8_t k : m.values) p += k == 0;
  return p;
}

TEST(MagnitudePruneTest, PrunesExactCountOfSmallestMagnitudes) {
  const Matrix w = testing::RandomGaussian(37, 53, 7);  // 1961 weights: rounding matters
  for (double s : {0.0, 0.1, 0.5, 0.9, 0.95, 0.999, 1.0}) {
    auto mask = MagnitudePruneMask(w, s);
    ASSERT_TRUE(mask.ok());
    EXPECT_EQ(Pruned(*mask), std::llround(s * w.size())) << "sparsity " << s;
    float max_pruned = 0.0f, min_kept = INFINITY;
    for (size_t i = 0; i < w.values.size(); ++i) {
      if (mask->values[i]) {
        min_kept = std::min(min_kept, std::fabs(w.values[i]));
      } else {
        max_pruned = std::max(max_pruned, std::fabs(w.values[i]));
      }
    }
    EXPECT_LE(max_pruned, min_kept) << "a kept weight is smaller than a pruned one at sparsity " << s;
    auto pruned = MagnitudePrune(w, s);
    ASSERT_TRUE(pruned.ok());
    EXPECT_EQ(testing::CountZeros(*pruned), std::llround(s * w.size()));
  }
}

TEST(MagnitudePruneTest, TiesBreakByIndexDeterministically) {
  Matrix w(4, 5, 0.5f);
  w(3, 4) = -0.5f;                          // same magnitude, opposite sign: still a tie
  auto mask = MagnitudePruneMask(w, 0.35);  // 7 of 20
  ASSERT_TRUE(mask.ok());
  for (int64_t i = 0; i < 20; ++i) EXPECT_EQ(mask->values[i], i < 7 ? 0 : 1) << i;
  auto again = MagnitudePruneMask(w, 0.35);
  EXPECT_EQ(again->values, mask->values);
}

TEST(MagnitudePruneTest, ExistingZerosGoFirst) {
  Matrix w = testing::RandomGaussian(10, 10, 8);
  for (int i = 0; i < 100; i += 3) w.values[i] = 0.0f;  // 34 zeros
  auto mask = MagnitudePruneMask(w, 0.5);
  ASSERT_TRUE(mask.ok());
  for (int i = 0; i < 100; i += 3) EXPECT_EQ(mask->values[i], 0);
}

TEST(MagnitudePruneTest, RejectsBadInput) {
  const Matrix w = testing::RandomGaussian(3, 3, 9);
  EXPECT_FALSE(MagnitudePruneMask(w, -0.1).ok());
  EXPECT_FALSE(MagnitudePruneMask(w, 1.5).ok());
  EXPECT_FALSE(MagnitudePruneMask(w, std::nan("")).ok());
  Matrix bad = w;
  bad(1, 1) = std::nanf("");
  const auto r = MagnitudePruneMask(bad, 0.5);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("row 1, col 1"), std::string::npos) << r.status().message();
  Matrix lying = w;
  lying.rows = 4;  // shape disagrees with the data
  EXPECT_FALSE(MagnitudePruneMask(lying, 0.5).ok());
}

TEST(MagnitudePruneTest, EmptyMatrix) {
  auto mask = MagnitudePruneMask(Matrix(0, 5), 0.5);
  ASSERT_TRUE(mask.ok());
  EXPECT_EQ(mask->size(), 0);
}

}  // namespace
}  // namespace kinglet::compression::quantize
