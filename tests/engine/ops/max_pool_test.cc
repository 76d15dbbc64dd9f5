#include <gtest/gtest.h>

#include <algorithm>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntAttr;
using testing::IntsAttr;
using testing::RunOp;
using testing::StringAttr;

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return {t.data<T>(), t.data<T>() + t.element_count()};
}

// 4x4 plane holding 0..15, second plane holding 15..0.
Tensor TwoPlanes() {
  std::vector<float> v(32);
  for (int i = 0; i < 16; ++i) v[i] = float(i), v[16 + i] = float(15 - i);
  return Tensor::FromFloats({1, 2, 4, 4}, v);
}

TEST(MaxPoolTest, StridesPadsAndIndices) {
  auto r = RunOp(
      "MaxPool",
      Attrs({IntsAttr("kernel_shape", {2, 2}), IntsAttr("strides", {2, 2}), IntsAttr("pads", {1, 1, 1, 1})}),
      {TwoPlanes()}, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 2, 3, 3}));
  EXPECT_EQ(Values<float>((*r)[0]),
            (std::vector<float>{0, 2, 3, 8, 10, 11, 12, 14, 15, 15, 14, 12, 11, 10, 8, 3, 2, 0}));
  // Flat indices into the whole input: the second plane starts at 16.
  EXPECT_EQ((*r)[1].dtype(), DataType::kInt64);
  EXPECT_EQ(Values<int64_t>((*r)[1]),
            (std::vector<int64_t>{0, 2, 3, 8, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 23, 28, 29, 31}));
}

TEST(MaxPoolTest, ColumnMajorIndicesCeilModeAndDilations) {
  auto col = RunOp(
      "MaxPool",
      Attrs({IntsAttr("kernel_shape", {2, 2}), IntsAttr("strides", {2, 2}), IntAttr("storage_order", 1)}),
      {TwoPlanes()}, 2);
  ASSERT_TRUE(col.ok()) << col.status().ToString();
  // Max of plane 0's first window is (1,1): column-major 1 + 1*4 = 5; (1,3) -> 13; (3,1) -> 7.
  EXPECT_EQ(Values<int64_t>((*col)[1]), (std::vector<int64_t>{5, 13, 7, 15, 16, 24, 18, 26}));

  // 4 wide, kernel 3, stride 2: floor gives 1 window, ceil 2 (the second starts inside the input).
  auto ceil = RunOp("MaxPool",
                    Attrs({IntsAttr("kernel_shape", {3}), IntsAttr("strides", {2}), IntAttr("ceil_mode", 1)}),
                    {Tensor::FromFloats({1, 1, 4}, {1, 5, 2, 7})}, 1);
  ASSERT_TRUE(ceil.ok());
  EXPECT_EQ(Values<float>((*ceil)[0]), (std::vector<float>{5, 7}));
  // A third window would start in the end padding (at 4), so ceil_mode drops it.
  auto dropped = RunOp("MaxPool",
                       Attrs({IntsAttr("kernel_shape", {2}), IntsAttr("strides", {2}),
                              IntsAttr("pads", {0, 1}), IntAttr("ceil_mode", 1)}),
                       {Tensor::FromFloats({1, 1, 4}, {1, 5, 2, 7})}, 1);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(Values<float>((*dropped)[0]), (std::vector<float>{5, 7}));

  auto dilated = RunOp("MaxPool", Attrs({IntsAttr("kernel_shape", {2}), IntsAttr("dilations", {3})}),
                       {Tensor::FromFloats({1, 1, 5}, {1, 9, 2, 3, 4})}, 1);
  ASSERT_TRUE(dilated.ok());
  EXPECT_EQ(Values<float>((*dilated)[0]), (std::vector<float>{3, 9}));
}

TEST(MaxPoolTest, SameLowerOnUint8) {
  Tensor x(DataType::kUint8, {1, 1, 4});
  const std::vector<uint8_t> v = {7, 200, 3, 4};
  std::copy(v.begin(), v.end(), x.data<uint8_t>());
  auto r = RunOp("MaxPool", Attrs({IntsAttr("kernel_shape", {2}), StringAttr("auto_pad", "SAME_LOWER")}), {x},
                 1, 12);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{7, 200, 200, 4}));
}

TEST(MaxPoolTest, RejectsBadAttributesAndTypes) {
  const Tensor x = TwoPlanes();
  EXPECT_FALSE(RunOp("MaxPool", Attrs({}), {x}, 1).ok());  // kernel_shape is required
  EXPECT_FALSE(RunOp("MaxPool", Attrs({IntsAttr("kernel_shape", {5, 5})}), {x}, 1).ok());
  EXPECT_FALSE(RunOp("MaxPool", Attrs({IntsAttr("kernel_shape", {2})}), {x}, 1).ok());
  EXPECT_FALSE(
      RunOp("MaxPool", Attrs({IntsAttr("kernel_shape", {2, 2}), IntsAttr("strides", {0, 1})}), {x}, 1).ok());
  EXPECT_FALSE(
      RunOp("MaxPool", Attrs({IntsAttr("kernel_shape", {2, 2}), IntAttr("storage_order", 2)}), {x}, 1).ok());
  EXPECT_EQ(RunOp("MaxPool", Attrs({IntsAttr("kernel_shape", {2})}),
                  {Tensor::FromInt64s({1, 1, 4}, {1, 2, 3, 4})}, 1)
                .status()
                .code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kinglet
