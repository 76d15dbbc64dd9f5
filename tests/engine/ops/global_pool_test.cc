#include <gtest/gtest.h>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::RunOp;

std::vector<float> Values(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.element_count()}; }

TEST(GlobalPoolTest, ReducesEverySpatialAxisOfAnyRank) {
  const Tensor x3 = Tensor::FromFloats({1, 2, 3}, {1, 5, 3, -1, -7, -4});
  auto avg = RunOp("GlobalAveragePool", Attrs({}), {x3}, 1);
  auto max = RunOp("GlobalMaxPool", Attrs({}), {x3}, 1);
  ASSERT_TRUE(avg.ok() && max.ok());
  EXPECT_EQ((*avg)[0].shape(), (Shape{1, 2, 1}));
  EXPECT_EQ(Values((*avg)[0]), (std::vector<float>{3, -4}));
  EXPECT_EQ(Values((*max)[0]), (std::vector<float>{5, -1}));

  std::vector<float> v(2 * 2 * 2 * 2);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i);
  auto avg5 = RunOp("GlobalAveragePool", Attrs({}), {Tensor::FromFloats({2, 1, 2, 2, 2}, v)}, 1);
  ASSERT_TRUE(avg5.ok());
  EXPECT_EQ((*avg5)[0].shape(), (Shape{2, 1, 1, 1, 1}));
  EXPECT_EQ(Values((*avg5)[0]), (std::vector<float>{3.5f, 11.5f}));
}

TEST(GlobalPoolTest, RejectsRankBelowThreeAndNonFloat) {
  EXPECT_FALSE(RunOp("GlobalMaxPool", Attrs({}), {Tensor::FromFloats({2, 2}, {1, 2, 3, 4})}, 1).ok());
  EXPECT_EQ(RunOp("GlobalAveragePool", Attrs({}), {Tensor::FromInt64s({1, 1, 2}, {1, 2})}, 1).status().code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kinglet
