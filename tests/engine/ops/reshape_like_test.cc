// Reshape, Flatten, Squeeze, Unsqueeze, Identity (engine/src/ops/reshape_like.cc).
#include <gtest/gtest.h>

#include <algorithm>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntAttr;
using testing::IntsAttr;
using testing::Make;
using testing::RunOp;
using testing::Values;

Tensor Ints(std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::FromInt64s({n}, v);
}
Tensor Zeros(Shape shape) { return Tensor(DataType::kFloat32, std::move(shape)); }
Result<Shape> OutShape(const std::string& op, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
                       int64_t opset = 13) {
  auto r = RunOp(op, attrs, inputs, 1, opset);
  if (!r.ok()) return r.status();
  return (*r)[0].shape();
}

TEST(ReshapeTest, ZeroCopiesDimAndMinusOneInfers) {
  auto r = RunOp("Reshape", Attrs({}), {Tensor::FromInt64s({2, 3}, {1, 2, 3, 4, 5, 6}), Ints({0, -1, 1})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(std::vector<int64_t>((*r)[0].data<int64_t>(), (*r)[0].data<int64_t>() + 6),
            (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(ReshapeTest, AllowZeroFromOpset14) {
  auto s = OutShape("Reshape", Attrs({IntAttr("allowzero", 1)}), {Zeros({0, 3}), Ints({3, 0})}, 14);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, (Shape{3, 0}));
  // Without allowzero a 0 copies the input dim: [0,3] -> [0,3] holds 0 elements, fine.
  s = OutShape("Reshape", Attrs({}), {Zeros({0, 3}), Ints({0, 3})}, 14);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, (Shape{0, 3}));
  // Before opset 14 the attribute does not exist: 0 still copies, so [2,3] -> [2,3].
  s = OutShape("Reshape", Attrs({IntAttr("allowzero", 1)}), {Zeros({2, 3}), Ints({0, 3})}, 13);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, (Shape{2, 3}));
}

TEST(ReshapeTest, RejectsImpossibleShapes) {
  const Tensor x = Zeros({2, 3});
  EXPECT_FALSE(OutShape("Reshape", Attrs({}), {x, Ints({-1, -1})}).ok());
  EXPECT_FALSE(OutShape("Reshape", Attrs({}), {x, Ints({4, -1})}).ok());
  EXPECT_FALSE(OutShape("Reshape", Attrs({}), {x, Ints({7})}).ok());
  EXPECT_FALSE(OutShape("Reshape", Attrs({}), {x, Ints({6, 0, 1})}).ok());  // no input dim 1
  EXPECT_FALSE(OutShape("Reshape", Attrs({}), {x, Ints({-2, -3})}).ok());
}

TEST(FlattenTest, AxisVariants) {
  const Tensor x = Zeros({2, 3, 4});
  EXPECT_EQ(*OutShape("Flatten", Attrs({}), {x}), (Shape{2, 12}));
  EXPECT_EQ(*OutShape("Flatten", Attrs({IntAttr("axis", 0)}), {x}), (Shape{1, 24}));
  EXPECT_EQ(*OutShape("Flatten", Attrs({IntAttr("axis", 3)}), {x}), (Shape{24, 1}));
  EXPECT_EQ(*OutShape("Flatten", Attrs({IntAttr("axis", -1)}), {x}, 11), (Shape{6, 4}));
  // Negative axes are accepted at every opset (older exporters wrote them before opset 11).
  EXPECT_EQ(*OutShape("Flatten", Attrs({IntAttr("axis", -1)}), {x}, 9), (Shape{6, 4}));
  EXPECT_FALSE(OutShape("Flatten", Attrs({IntAttr("axis", 4)}), {x}).ok());
  EXPECT_FALSE(OutShape("Flatten", Attrs({IntAttr("axis", -4)}), {x}).ok());
}

TEST(SqueezeTest, AxesAttributeThenInput) {
  const Tensor x = Zeros({1, 3, 1, 2});
  EXPECT_EQ(*OutShape("Squeeze", Attrs({IntsAttr("axes", {0})}), {x}, 11), (Shape{3, 1, 2}));
  EXPECT_EQ(*OutShape("Squeeze", Attrs({}), {x, Ints({-2})}, 13), (Shape{1, 3, 2}));
  EXPECT_EQ(*OutShape("Squeeze", Attrs({}), {x}, 13), (Shape{3, 2}));
  EXPECT_FALSE(OutShape("Squeeze", Attrs({}), {x, Ints({1})}, 13).ok());      // size 3
  EXPECT_FALSE(OutShape("Squeeze", Attrs({}), {x, Ints({4})}, 13).ok());      // no axis 4
  EXPECT_FALSE(OutShape("Squeeze", Attrs({}), {x, Ints({0, -4})}, 13).ok());  // repeated
}

TEST(UnsqueezeTest, AxesIndexTheOutput) {
  const Tensor x = Zeros({3, 4, 5});
  EXPECT_EQ(*OutShape("Unsqueeze", Attrs({IntsAttr("axes", {3})}), {x}, 11), (Shape{3, 4, 5, 1}));
  EXPECT_EQ(*OutShape("Unsqueeze", Attrs({}), {x, Ints({5, 4, 2})}), (Shape{3, 4, 1, 5, 1, 1}));
  EXPECT_EQ(*OutShape("Unsqueeze", Attrs({}), {x, Ints({-1, 0})}), (Shape{1, 3, 4, 5, 1}));
  EXPECT_EQ(*OutShape("Unsqueeze", Attrs({}), {Zeros({}), Ints({0})}), (Shape{1}));
  EXPECT_FALSE(OutShape("Unsqueeze", Attrs({}), {x, Ints({1, 1})}).ok());
  EXPECT_FALSE(OutShape("Unsqueeze", Attrs({}), {x, Ints({4})}).ok());
  EXPECT_FALSE(OutShape("Unsqueeze", Attrs({}), {x}, 13).ok());  // axes input is required
  EXPECT_TRUE(OutShape("Unsqueeze", Attrs({IntsAttr("axes", {-1})}), {x}, 10).ok());
}

TEST(IdentityTest, CopiesAnyDtype) {
  auto r = RunOp("Identity", Attrs({}), {Make<int8_t>(DataType::kInt8, {3}, {-1, 0, 7})}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt8);
  EXPECT_EQ(std::vector<int8_t>((*r)[0].data<int8_t>(), (*r)[0].data<int8_t>() + 3),
            (std::vector<int8_t>{-1, 0, 7}));
}

}  // namespace
}  // namespace kinglet
