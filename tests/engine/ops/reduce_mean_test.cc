#include <gtest/gtest.h>

#include <vector>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntAttr;
using testing::IntsAttr;
using testing::RunOp;

// The ONNX example: [3,2,2].
const Tensor kData = Tensor::FromFloats({3, 2, 2}, {5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2});

std::vector<float> Values(const Tensor& t) {
  return {t.data<float>(), t.data<float>() + t.element_count()};
}

TEST(ReduceMeanTest, AxesAndKeepdims) {
  auto keep = RunOp("ReduceMean", Attrs({IntsAttr("axes", {1})}), {kData}, 1, 13);
  ASSERT_TRUE(keep.ok()) << keep.status().ToString();
  EXPECT_EQ((*keep)[0].shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(Values((*keep)[0]), (std::vector<float>{12.5f, 1.5f, 35, 1.5f, 57.5f, 1.5f}));

  auto drop =
      RunOp("ReduceMean", Attrs({IntsAttr("axes", {-2}), IntAttr("keepdims", 0)}), {kData}, 1, 11);
  ASSERT_TRUE(drop.ok()) << drop.status().ToString();
  EXPECT_EQ((*drop)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(Values((*drop)[0]), (std::vector<float>{12.5f, 1.5f, 35, 1.5f, 57.5f, 1.5f}));

  // Non-adjacent axes.
  auto outer = RunOp("ReduceMean", Attrs({IntsAttr("axes", {0, 2})}), {kData}, 1, 13);
  ASSERT_TRUE(outer.ok()) << outer.status().ToString();
  EXPECT_EQ((*outer)[0].shape(), (Shape{1, 2, 1}));
  EXPECT_EQ(Values((*outer)[0]), (std::vector<float>{15.5f, 21}));
}

TEST(ReduceMeanTest, NoAxesReducesEverything) {
  auto keep = RunOp("ReduceMean", Attrs({}), {kData}, 1, 13);
  ASSERT_TRUE(keep.ok()) << keep.status().ToString();
  EXPECT_EQ((*keep)[0].shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(Values((*keep)[0]), (std::vector<float>{18.25f}));
  auto drop = RunOp("ReduceMean", Attrs({IntAttr("keepdims", 0)}), {kData}, 1, 7);
  ASSERT_TRUE(drop.ok()) << drop.status().ToString();
  EXPECT_EQ((*drop)[0].shape(), (Shape{}));
  EXPECT_EQ(Values((*drop)[0]), (std::vector<float>{18.25f}));
}

TEST(ReduceMeanTest, Opset18TakesAxesAsInput) {
  auto r = RunOp("ReduceMean", Attrs({}), {kData, Tensor::FromInt64s({1}, {1})}, 1, 18);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 1, 2}));
  auto noop = RunOp("ReduceMean", Attrs({IntAttr("noop_with_empty_axes", 1)}), {kData}, 1, 18);
  ASSERT_TRUE(noop.ok()) << noop.status().ToString();
  EXPECT_EQ((*noop)[0].shape(), kData.shape());
  EXPECT_EQ(Values((*noop)[0]), Values(kData));
}

TEST(ReduceMeanTest, RejectsBadAxesAndDtypes) {
  EXPECT_EQ(RunOp("ReduceMean", Attrs({IntsAttr("axes", {3})}), {kData}, 1, 13).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunOp("ReduceMean", Attrs({IntsAttr("axes", {1, -2})}), {kData}, 1, 13).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      RunOp("ReduceMean", Attrs({}), {Tensor::FromInt64s({2}, {1, 2})}, 1, 13).status().code(),
      StatusCode::kUnsupported);
  // Axes as an input only exist from opset 18.
  EXPECT_FALSE(RunOp("ReduceMean", Attrs({}), {kData, Tensor::FromInt64s({1}, {1})}, 1, 13).ok());
}

}  // namespace
}  // namespace kinglet
