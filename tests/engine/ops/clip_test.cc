#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::FloatAttr;
using testing::RunOp;

const Tensor kX = Tensor::FromFloats({2, 2}, {-5, -1, 1, 5});

std::vector<float> Values(const Tensor& t) {
  return {t.data<float>(), t.data<float>() + t.element_count()};
}

TEST(ClipTest, BoundsAsInputsFromOpset11) {
  const Tensor lo = Tensor::FromFloats({}, {-2});
  const Tensor hi = Tensor::FromFloats({}, {2});
  auto both = RunOp("Clip", Attrs({}), {kX, lo, hi}, 1, 13);
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ((*both)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values((*both)[0]), (std::vector<float>{-2, -1, 1, 2}));

  auto only_max = RunOp("Clip", Attrs({}), {kX, Tensor(), hi}, 1, 11);
  ASSERT_TRUE(only_max.ok()) << only_max.status().ToString();
  EXPECT_EQ(Values((*only_max)[0]), (std::vector<float>{-5, -1, 1, 2}));

  auto only_min = RunOp("Clip", Attrs({}), {kX, lo}, 1, 12);
  ASSERT_TRUE(only_min.ok()) << only_min.status().ToString();
  EXPECT_EQ(Values((*only_min)[0]), (std::vector<float>{-2, -1, 1, 5}));

  // From opset 11 the attributes are gone: an unbounded Clip is the identity.
  auto none = RunOp("Clip", Attrs({FloatAttr("min", 0)}), {kX}, 1, 13);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(Values((*none)[0]), (std::vector<float>{-5, -1, 1, 5}));
}

TEST(ClipTest, BoundsAsAttributesBeforeOpset11) {
  auto r = RunOp("Clip", Attrs({FloatAttr("min", 0), FloatAttr("max", 6)}), {kX}, 1, 6);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values((*r)[0]), (std::vector<float>{0, 0, 1, 5}));
  auto min_only = RunOp("Clip", Attrs({FloatAttr("min", -1.5f)}), {kX}, 1, 7);
  ASSERT_TRUE(min_only.ok()) << min_only.status().ToString();
  EXPECT_EQ(Values((*min_only)[0]), (std::vector<float>{-1.5f, -1, 1, 5}));
  // The bound inputs do not exist yet.
  EXPECT_FALSE(RunOp("Clip", Attrs({}), {kX, Tensor::FromFloats({}, {0})}, 1, 10).ok());
}

TEST(ClipTest, MinAboveMaxGivesMaxAndNanPassesThrough) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto r = RunOp("Clip", Attrs({}),
                 {Tensor::FromFloats({3}, {-1, nan, 9}), Tensor::FromFloats({}, {3}),
                  Tensor::FromFloats({}, {1})},
                 1, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<float> y = Values((*r)[0]);
  EXPECT_EQ(y[0], 1);
  EXPECT_TRUE(std::isnan(y[1]));
  EXPECT_EQ(y[2], 1);
}

TEST(ClipTest, RejectsBadBoundsAndDtypes) {
  EXPECT_EQ(RunOp("Clip", Attrs({}), {kX, Tensor::FromFloats({2}, {0, 1})}, 1, 13).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunOp("Clip", Attrs({}), {kX, Tensor::FromInt64s({}, {0})}, 1, 13).status().code(),
            StatusCode::kUnsupported);
  Tensor i8(DataType::kInt8, {2});
  EXPECT_EQ(RunOp("Clip", Attrs({}), {i8}, 1, 13).status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kinglet
