#include <gtest/gtest.h>

#include <algorithm>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntsAttr;
using testing::Make;
using testing::RunOp;
using testing::Values;


TEST(TransposeTest, DefaultReversesAxes) {
  auto r = RunOp("Transpose", Attrs({}), {Tensor::FromFloats({2, 3}, {1, 2, 3, 4, 5, 6})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(TransposeTest, SwapsInnerAxesOfInt64) {
  // x[b][i][j] = 100b + 10i + j, shape [2,2,3].
  auto r = RunOp("Transpose", Attrs({IntsAttr("perm", {0, 2, 1})}),
                 {Tensor::FromInt64s({2, 2, 3}, {0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(Values<int64_t>((*r)[0]),
            (std::vector<int64_t>{0, 10, 1, 11, 2, 12, 100, 110, 101, 111, 102, 112}));
}

TEST(TransposeTest, NchwToNhwcBytesWithUnitDims) {
  // x[n=1][c][h=1][w] = 10c + w, shape [1,2,1,3] -> [1,1,3,2].
  auto r = RunOp("Transpose", Attrs({IntsAttr("perm", {0, 2, 3, 1})}),
                 {Make<uint8_t>(DataType::kUint8, {1, 2, 1, 3}, {0, 1, 2, 10, 11, 12})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 1, 3, 2}));
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{0, 10, 1, 11, 2, 12}));
}

TEST(TransposeTest, RejectsBadPerm) {
  const auto x = Tensor::FromFloats({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_FALSE(RunOp("Transpose", Attrs({IntsAttr("perm", {0, 0})}), {x}, 1).ok());
  EXPECT_FALSE(RunOp("Transpose", Attrs({IntsAttr("perm", {1, 0, 2})}), {x}, 1).ok());
  EXPECT_FALSE(RunOp("Transpose", Attrs({IntsAttr("perm", {-1, 0})}), {x}, 1).ok());
}

}  // namespace
}  // namespace kinglet
