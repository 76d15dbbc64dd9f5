#include <gtest/gtest.h>

#include <algorithm>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::FloatAttr;
using testing::IntsAttr;
using testing::RunOp;
using testing::StringAttr;

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return {t.data<T>(), t.data<T>() + t.element_count()};
}
Tensor Int32s(Shape shape, const std::vector<int32_t>& v) {
  Tensor t(DataType::kInt32, std::move(shape));
  std::copy(v.begin(), v.end(), t.data<int32_t>());
  return t;
}

const Tensor k2x3 = Tensor::FromFloats({2, 3}, {1, 2, 3, 4, 5, 6});

// Pad from opset 11 on: pads (and the optional value) are inputs.
Result<std::vector<Tensor>> PadV13(const Tensor& x, std::vector<int64_t> pads, const std::string& mode,
                                   const Tensor& value = Tensor()) {
  const int64_t n = static_cast<int64_t>(pads.size());
  return RunOp("Pad", Attrs({StringAttr("mode", mode)}), {x, Tensor::FromInt64s({n}, pads), value}, 1, 13);
}

TEST(PadTest, ConstantFromInputs) {
  auto r = PadV13(k2x3, {0, 1, 1, 0}, "constant", Tensor::FromFloats({}, {9}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 4}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{9, 1, 2, 3, 9, 4, 5, 6, 9, 9, 9, 9}));
  auto zero = PadV13(k2x3, {1, 0, 0, 0}, "constant");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(Values<float>((*zero)[0]), (std::vector<float>{0, 0, 0, 1, 2, 3, 4, 5, 6}));
}

TEST(PadTest, ReflectAndEdgeOnFloatAndInt32) {
  auto reflect = PadV13(Tensor::FromFloats({3}, {1, 2, 3}), {2, 4}, "reflect");
  ASSERT_TRUE(reflect.ok()) << reflect.status().ToString();
  // Pads wider than the axis keep bouncing, as numpy.pad does.
  EXPECT_EQ(Values<float>((*reflect)[0]), (std::vector<float>{3, 2, 1, 2, 3, 2, 1, 2, 3}));
  auto edge = PadV13(Int32s({1, 3}, {1, 2, 3}), {1, 1, 0, 2}, "edge");
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  EXPECT_EQ((*edge)[0].dtype(), DataType::kInt32);
  EXPECT_EQ(Values<int32_t>((*edge)[0]), (std::vector<int32_t>{1, 1, 2, 3, 3, 3, 1, 1, 2, 3, 3, 3}));
}

TEST(PadTest, NegativePadsCropBeforePadding) {
  auto crop = PadV13(k2x3, {0, -1, -1, 1}, "constant");
  ASSERT_TRUE(crop.ok()) << crop.status().ToString();
  EXPECT_EQ((*crop)[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(Values<float>((*crop)[0]), (std::vector<float>{2, 3, 0}));
  auto reflect = PadV13(Tensor::FromFloats({5}, {1, 2, 3, 4, 5}), {-1, 2}, "reflect");
  ASSERT_TRUE(reflect.ok());
  EXPECT_EQ(Values<float>((*reflect)[0]), (std::vector<float>{2, 3, 4, 5, 4, 3}));
}

TEST(PadTest, AttributesBeforeOpset11) {
  auto r = RunOp("Pad", Attrs({IntsAttr("pads", {1, 1}), FloatAttr("value", 1.5f)}),
                 {Tensor::FromFloats({2}, {1, 2})}, 1, /*opset=*/2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1.5f, 1, 2, 1.5f}));
  auto i =
      RunOp("Pad", Attrs({IntsAttr("pads", {0, 1}), FloatAttr("value", 7.0f)}), {Int32s({1}, {3})}, 1, 7);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(Values<int32_t>((*i)[0]), (std::vector<int32_t>{3, 7}));
}

TEST(PadTest, AxesInputFromOpset18) {
  auto r = RunOp("Pad", Attrs({}),
                 {Tensor::FromFloats({2, 2}, {1, 2, 3, 4}), Tensor::FromInt64s({2}, {1, 1}), Tensor(),
                  Tensor::FromInt64s({1}, {-1})},
                 1, 18);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{0, 1, 2, 0, 0, 3, 4, 0}));
}

TEST(PadTest, RejectsWhatItCannotDo) {
  EXPECT_FALSE(PadV13(k2x3, {1, 1}, "constant").ok());                     // pads for one axis of two
  EXPECT_FALSE(PadV13(k2x3, {0, -2, 0, -2}, "constant").ok());             // crops 4 of 3
  EXPECT_FALSE(PadV13(Tensor(DataType::kFloat32, {0}), {1, 0}, "edge").ok());  // nothing to repeat
  EXPECT_EQ(PadV13(k2x3, {0, 1, 0, 1}, "wrap").status().code(), StatusCode::kUnsupported);
  EXPECT_FALSE(PadV13(k2x3, {0, 1, 0, 1}, "constant", Tensor::FromInt64s({}, {1})).ok());  // dtype mismatch
  EXPECT_FALSE(RunOp("Pad", Attrs({}), {k2x3}, 1, 2).ok());  // opset 2 needs the pads attribute
}

}  // namespace
}  // namespace kinglet
