#include <gtest/gtest.h>

#include <algorithm>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::FloatAttr;
using testing::RunOp;

Tensor Bool(bool v) {
  Tensor t(DataType::kBool, {});
  *t.data<uint8_t>() = v ? 1 : 0;
  return t;
}
template <typename T>
std::vector<T> Values(const Tensor& t) {
  return {t.data<T>(), t.data<T>() + t.element_count()};
}

TEST(DropoutTest, InferenceCopiesAndMaskKeepsEverything) {
  const auto x = Tensor::FromFloats({2, 2}, {1, -2, 3, 0});
  auto r = RunOp("Dropout", Attrs({}), {x, Tensor::FromFloats({}, {0.5f}), Bool(false)}, 2, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, -2, 3, 0}));
  EXPECT_EQ((*r)[1].dtype(), DataType::kBool);
  EXPECT_EQ(Values<uint8_t>((*r)[1]), (std::vector<uint8_t>{1, 1, 1, 1}));
}

TEST(DropoutTest, MaskHasDataTypeBeforeOpset10) {
  auto r = RunOp("Dropout", Attrs({FloatAttr("ratio", 0.2f)}), {Tensor::FromFloats({3}, {1, 2, 3})}, 2, 7);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ((*r)[1].dtype(), DataType::kFloat32);
  EXPECT_EQ(Values<float>((*r)[1]), (std::vector<float>{1, 1, 1}));
}

TEST(DropoutTest, TrainingModeIsUnsupported) {
  const auto x = Tensor::FromFloats({1}, {1});
  auto r = RunOp("Dropout", Attrs({}), {x, Tensor(), Bool(true)}, 1, 13);
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  // Opsets before 12 have no training_mode input.
  EXPECT_FALSE(RunOp("Dropout", Attrs({}), {x, Tensor::FromFloats({}, {0.5f})}, 1, 11).ok());
}

}  // namespace
}  // namespace kinglet
