#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntsAttr;
using testing::Make;
using testing::RunOp;
using testing::Values;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Tensor Ints(std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::FromInt64s({n}, v);
}
// 0..n-1 as float32 of `shape`.
Tensor Iota(Shape shape) {
  std::vector<float> v(static_cast<size_t>(ElementCount(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return Tensor::FromFloats(shape, v);
}

TEST(SliceTest, WindowWithDefaultAxesAndSteps) {
  // x = [[0 1 2 3] [4 5 6 7] [8 9 10 11]]
  auto r = RunOp("Slice", Attrs({}), {Iota({3, 4}), Ints({1, 1}), Ints({3, -1})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{5, 6, 9, 10}));
}

TEST(SliceTest, NegativeStepsAndSentinels) {
  // Whole axis reversed: start INT64_MAX clamps to dim-1, end INT64_MIN clamps to -1.
  auto r = RunOp("Slice", Attrs({}), {Iota({5}), Ints({kMax}), Ints({kMin}), Ints({0}), Ints({-1})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{4, 3, 2, 1, 0}));

  r = RunOp("Slice", Attrs({}), {Iota({10}), Ints({8}), Ints({1}), Ints({0}), Ints({-3})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{8, 5, 2}));

  // A step beyond the dim takes one element (and must not overflow).
  r = RunOp("Slice", Attrs({}), {Iota({4}), Ints({-1}), Ints({kMin}), Ints({0}), Ints({kMin})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{3}));
}

TEST(SliceTest, Int32OperandsNegativeAxisAndStepTwo) {
  auto i32 = [](std::vector<int32_t> v) {
    return Make<int32_t>(DataType::kInt32, {static_cast<int64_t>(v.size())}, v);
  };
  auto r = RunOp("Slice", Attrs({}),
                 {Tensor::FromInt64s({2, 5}, {0, 1, 2, 3, 4, 10, 11, 12, 13, 14}), i32({1}),
                  i32({std::numeric_limits<int32_t>::max()}), i32({-1}), i32({2})},
                 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{1, 3, 11, 13}));
}

TEST(SliceTest, OutOfBoundsStartGivesEmptyOutput) {
  auto r = RunOp("Slice", Attrs({}), {Iota({2, 3}), Ints({1000}), Ints({1000}), Ints({1})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 0}));
}

TEST(SliceTest, AttributesBeforeOpset10) {
  auto r = RunOp("Slice", Attrs({IntsAttr("starts", {1}), IntsAttr("ends", {kMax}), IntsAttr("axes", {1})}),
                 {Make<uint8_t>(DataType::kUint8, {2, 3}, {1, 2, 3, 4, 5, 6})}, 1, /*opset=*/9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{2, 3, 5, 6}));
}

TEST(SliceTest, RejectsMalformedOperands) {
  const Tensor x = Iota({2, 3});
  EXPECT_FALSE(RunOp("Slice", Attrs({}), {x, Ints({0}), Ints({1}), Ints({0}), Ints({0})}, 1).ok());
  EXPECT_FALSE(RunOp("Slice", Attrs({}), {x, Ints({0, 0}), Ints({1, 1}), Ints({1, -1})}, 1).ok());
  EXPECT_FALSE(RunOp("Slice", Attrs({}), {x, Ints({0}), Ints({1}), Ints({2})}, 1).ok());
  EXPECT_FALSE(RunOp("Slice", Attrs({}), {x, Ints({0, 0}), Ints({1})}, 1).ok());
  EXPECT_FALSE(RunOp("Slice", Attrs({}), {x, Ints({0, 0, 0}), Ints({1, 1, 1})}, 1).ok());
  EXPECT_FALSE(RunOp("Slice", Attrs({IntsAttr("starts", {0})}), {x}, 1, /*opset=*/9).ok());
}

}  // namespace
}  // namespace kinglet
