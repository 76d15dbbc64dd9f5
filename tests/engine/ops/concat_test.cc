#include <gtest/gtest.h>

#include <algorithm>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntAttr;
using testing::Make;
using testing::RunOp;
using testing::Values;


TEST(ConcatTest, InnerAxisInterleavesRows) {
  auto r = RunOp("Concat", Attrs({IntAttr("axis", 1)}),
                 {Tensor::FromFloats({2, 2}, {1, 2, 3, 4}), Tensor::FromFloats({2, 1}, {5, 6})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 2, 5, 3, 4, 6}));
}

TEST(ConcatTest, NegativeAxisInt64) {
  auto r = RunOp("Concat", Attrs({IntAttr("axis", -2)}),
                 {Tensor::FromInt64s({1, 2}, {1, 2}), Tensor::FromInt64s({2, 2}, {3, 4, 5, 6})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(ConcatTest, BoolThreeInputsWithAnEmptyOne) {
  auto r = RunOp("Concat", Attrs({IntAttr("axis", 0)}),
                 {Make<uint8_t>(DataType::kBool, {2}, {1, 0}), Make<uint8_t>(DataType::kBool, {0}, {}),
                  Make<uint8_t>(DataType::kBool, {1}, {1})},
                 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kBool);
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{1, 0, 1}));
}

TEST(ConcatTest, RejectsMismatchedInputs) {
  const auto a = Tensor::FromFloats({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(RunOp("Concat", Attrs({IntAttr("axis", 0)}), {a, Tensor::FromFloats({1, 3}, {1, 2, 3})}, 1)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(
      RunOp("Concat", Attrs({IntAttr("axis", 0)}), {a, Tensor::FromInt64s({2, 2}, {1, 2, 3, 4})}, 1).ok());
  EXPECT_FALSE(RunOp("Concat", Attrs({IntAttr("axis", 2)}), {a, a}, 1).ok());
  EXPECT_FALSE(RunOp("Concat", Attrs({}), {a, a}, 1).ok());  // axis is required
  // The spec allows negative axes from opset 11, but older exporters wrote them too (PyTorch
  // 0.3's GLU): their meaning is unambiguous, so every opset accepts them.
  EXPECT_TRUE(RunOp("Concat", Attrs({IntAttr("axis", -1)}), {a, a}, 1, /*opset=*/7).ok());
}

}  // namespace
}  // namespace kinglet
