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


TEST(GatherTest, RowsWithNegativeIndex) {
  auto r = RunOp("Gather", Attrs({}),
                 {Tensor::FromFloats({3, 2}, {1, 2, 3, 4, 5, 6}), Tensor::FromInt64s({2}, {-1, 0})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{5, 6, 1, 2}));
}

TEST(GatherTest, InnerAxisWith2dInt32Indices) {
  auto r = RunOp("Gather", Attrs({IntAttr("axis", -1)}),
                 {Tensor::FromInt64s({2, 3}, {10, 11, 12, 20, 21, 22}),
                  Make<int32_t>(DataType::kInt32, {2, 2}, {2, 0, 1, 1})},
                 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{12, 10, 11, 11, 22, 20, 21, 21}));
}

TEST(GatherTest, ScalarIndexDropsTheAxis) {
  auto r = RunOp("Gather", Attrs({IntAttr("axis", 1)}),
                 {Make<uint8_t>(DataType::kBool, {2, 2}, {1, 0, 0, 1}), Tensor::FromInt64s({}, {1})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2}));
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{0, 1}));
}

TEST(GatherTest, OutOfRangeIndexIsAnErrorNamingIt) {
  const auto data = Tensor::FromFloats({3}, {1, 2, 3});
  auto r = RunOp("Gather", Attrs({}), {data, Tensor::FromInt64s({2}, {0, 3})}, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("index 3"), std::string::npos) << r.status().message();
  r = RunOp("Gather", Attrs({}), {data, Make<int32_t>(DataType::kInt32, {1}, {-4})}, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("index -4"), std::string::npos) << r.status().message();
}

TEST(GatherTest, RejectsBadAxisAndIndexType) {
  const auto data = Tensor::FromFloats({3}, {1, 2, 3});
  EXPECT_FALSE(RunOp("Gather", Attrs({IntAttr("axis", 1)}), {data, Tensor::FromInt64s({1}, {0})}, 1).ok());
  EXPECT_EQ(RunOp("Gather", Attrs({}), {data, Tensor::FromFloats({1}, {0})}, 1).status().code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kinglet
