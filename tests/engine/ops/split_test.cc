#include <gtest/gtest.h>

#include <algorithm>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntAttr;
using testing::IntsAttr;
using testing::Make;
using testing::RunOp;
using testing::Values;


TEST(SplitTest, EqualPartsByDefault) {
  auto r = RunOp("Split", Attrs({}), {Tensor::FromFloats({6}, {1, 2, 3, 4, 5, 6})}, 3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 2}));
  EXPECT_EQ(Values<float>((*r)[1]), (std::vector<float>{3, 4}));
  EXPECT_EQ(Values<float>((*r)[2]), (std::vector<float>{5, 6}));
}

TEST(SplitTest, SplitInputFromOpset13OnInnerAxis) {
  auto r =
      RunOp("Split", Attrs({IntAttr("axis", -1)}),
            {Make<int32_t>(DataType::kInt32, {2, 3}, {1, 2, 3, 4, 5, 6}), Tensor::FromInt64s({2}, {1, 2})}, 2,
            /*opset=*/13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(Values<int32_t>((*r)[0]), (std::vector<int32_t>{1, 4}));
  EXPECT_EQ((*r)[1].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values<int32_t>((*r)[1]), (std::vector<int32_t>{2, 3, 5, 6}));
}

TEST(SplitTest, SplitAttributeBeforeOpset13WithEmptyPart) {
  auto r = RunOp("Split", Attrs({IntAttr("axis", 0), IntsAttr("split", {0, 1, 2})}),
                 {Tensor::FromInt64s({3, 1}, {7, 8, 9})}, 3, /*opset=*/11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{0, 1}));
  EXPECT_EQ(Values<int64_t>((*r)[1]), (std::vector<int64_t>{7}));
  EXPECT_EQ(Values<int64_t>((*r)[2]), (std::vector<int64_t>{8, 9}));
}

TEST(SplitTest, RejectsBadParts) {
  const auto x = Tensor::FromFloats({5}, {1, 2, 3, 4, 5});
  EXPECT_FALSE(RunOp("Split", Attrs({}), {x}, 2).ok());                                   // 5 is not even
  EXPECT_FALSE(RunOp("Split", Attrs({}), {x, Tensor::FromInt64s({2}, {2, 2})}, 2).ok());  // sum
  EXPECT_FALSE(RunOp("Split", Attrs({}), {x, Tensor::FromInt64s({2}, {2, 3})}, 3).ok());  // count
  EXPECT_FALSE(RunOp("Split", Attrs({}), {x, Tensor::FromInt64s({2}, {6, -1})}, 2).ok());
  EXPECT_FALSE(RunOp("Split", Attrs({IntAttr("axis", 1)}), {x}, 1).ok());
  // Before opset 13 `split` is an attribute, not an input.
  EXPECT_FALSE(RunOp("Split", Attrs({}), {x, Tensor::FromInt64s({2}, {2, 3})}, 2, 11).ok());
}

}  // namespace
}  // namespace kinglet
