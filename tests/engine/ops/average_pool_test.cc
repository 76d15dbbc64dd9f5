#include <gtest/gtest.h>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntAttr;
using testing::IntsAttr;
using testing::RunOp;
using testing::StringAttr;

std::vector<float> Values(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.element_count()}; }

const Tensor kRow = Tensor::FromFloats({1, 1, 4}, {2, 4, 6, 8});

std::vector<float> Pool(std::vector<ir::Attribute> attrs, const Tensor& x = kRow) {
  auto r = RunOp("AveragePool", Attrs(std::move(attrs)), {x}, 1);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? Values((*r)[0]) : std::vector<float>{};
}

TEST(AveragePoolTest, PaddingCountsOnlyWhenAsked) {
  const auto k3p1 = [](int64_t include) {
    return std::vector<ir::Attribute>{IntsAttr("kernel_shape", {3}), IntsAttr("pads", {1, 1}),
                                      IntAttr("count_include_pad", include)};
  };
  EXPECT_EQ(Pool(k3p1(0)), (std::vector<float>{3, 4, 6, 7}));
  EXPECT_EQ(Pool(k3p1(1)), (std::vector<float>{2, 4, 6, 14.0f / 3}));
  EXPECT_EQ(Pool({IntsAttr("kernel_shape", {2}), StringAttr("auto_pad", "SAME_LOWER")}),
            (std::vector<float>{2, 3, 5, 7}));
  EXPECT_EQ(Pool({IntsAttr("kernel_shape", {2}), StringAttr("auto_pad", "SAME_UPPER")}),
            (std::vector<float>{3, 5, 7, 8}));
}

TEST(AveragePoolTest, CeilModeWindowsAreClippedToTheInput) {
  // Kernel 3 stride 2 over 4 values: windows [2,4,6] and the clipped [6,8].
  EXPECT_EQ(Pool({IntsAttr("kernel_shape", {3}), IntsAttr("strides", {2}), IntAttr("ceil_mode", 1)}),
            (std::vector<float>{4, 7}));
  EXPECT_EQ(Pool({IntsAttr("kernel_shape", {3}), IntsAttr("strides", {2}), IntAttr("ceil_mode", 1),
                  IntAttr("count_include_pad", 1)}),
            (std::vector<float>{4, 7}));
}

TEST(AveragePoolTest, ThreeSpatialAxes) {
  std::vector<float> v(8);
  for (int i = 0; i < 8; ++i) v[i] = float(i);
  EXPECT_EQ(Pool({IntsAttr("kernel_shape", {2, 2, 2})}, Tensor::FromFloats({1, 1, 2, 2, 2}, v)),
            (std::vector<float>{3.5f}));
}

TEST(AveragePoolTest, RejectsBadInputs) {
  EXPECT_FALSE(RunOp("AveragePool", Attrs({IntsAttr("kernel_shape", {5})}), {kRow}, 1).ok());
  EXPECT_FALSE(
      RunOp("AveragePool", Attrs({IntsAttr("kernel_shape", {2}), IntsAttr("pads", {1})}), {kRow}, 1).ok());
  EXPECT_FALSE(
      RunOp("AveragePool", Attrs({IntsAttr("kernel_shape", {2})}), {Tensor::FromFloats({4}, {1, 2, 3, 4})}, 1)
          .ok());
  EXPECT_EQ(
      RunOp("AveragePool", Attrs({IntsAttr("kernel_shape", {2})}), {Tensor::FromInt64s({1, 1, 2}, {1, 2})}, 1)
          .status()
          .code(),
      StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kinglet
