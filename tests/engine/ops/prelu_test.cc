#include <gtest/gtest.h>

#include <vector>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::RunOp;

std::vector<float> Values(const Tensor& t) {
  return {t.data<float>(), t.data<float>() + t.element_count()};
}

TEST(PReluTest, PerChannelSlopeBroadcastsOverSpatialDims) {
  // X [N=1,C=2,L=2] with slope [2,1]: channel 0 uses 0.5, channel 1 uses 2.
  auto r = RunOp(
      "PRelu", Attrs({}),
      {Tensor::FromFloats({1, 2, 2}, {-1, 2, -3, 4}), Tensor::FromFloats({2, 1}, {0.5f, 2})}, 1,
      /*opset=*/16);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(Values((*r)[0]), (std::vector<float>{-0.5f, 2, -6, 4}));
}

TEST(PReluTest, TrailingAndFullSlopes) {
  auto r =
      RunOp("PRelu", Attrs({}),
            {Tensor::FromFloats({2, 2}, {-1, -1, -2, 3}), Tensor::FromFloats({2}, {1, 3})}, 1, 9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values((*r)[0]), (std::vector<float>{-1, -3, -2, 3}));
  auto s = RunOp("PRelu", Attrs({}),
                 {Tensor::FromFloats({2}, {-1, -1}), Tensor::FromFloats({2}, {4, 5})}, 1, 7);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(Values((*s)[0]), (std::vector<float>{-4, -5}));
}

TEST(PReluTest, RejectsSlopeThatDoesNotBroadcastToX) {
  const Tensor x = Tensor::FromFloats({1, 2, 2}, {1, 2, 3, 4});
  // [2] aligns with the last dim of size 2: valid. [3] does not fit.
  EXPECT_EQ(RunOp("PRelu", Attrs({}), {x, Tensor::FromFloats({3}, {1, 2, 3})}, 1).status().code(),
            StatusCode::kInvalidArgument);
  // Slope may not grow X (unidirectional broadcast).
  EXPECT_EQ(RunOp("PRelu", Attrs({}),
                  {Tensor::FromFloats({2}, {1, 2}), Tensor::FromFloats({2, 2}, {1, 2, 3, 4})}, 1)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      RunOp("PRelu", Attrs({}), {Tensor::FromInt64s({1}, {1}), Tensor::FromInt64s({1}, {1})}, 1)
          .status()
          .code(),
      StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kinglet
