#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntAttr;
using testing::RunOp;

const float kLn3 = std::log(3.0f);
// exp(x) = {1, 3, 3, 3}: rows normalise to {.25, .75}, {.5, .5}; columns to {.25, .75}, {.5, .5}.
const std::vector<float> kX = {0, kLn3, kLn3, kLn3};

std::vector<float> RunSoftmax(const char* op, Shape shape, const ir::Attributes& attrs,
                              int64_t opset) {
  auto r = RunOp(op, attrs, {Tensor::FromFloats(shape, kX)}, 1, opset);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ((*r)[0].shape(), shape);
  return {(*r)[0].data<float>(), (*r)[0].data<float>() + (*r)[0].element_count()};
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << "at " << i;
}

TEST(SoftmaxTest, Opset13NormalisesOneAxis) {
  ExpectNear(RunSoftmax("Softmax", {2, 2}, Attrs({}), 13),
             {.25f, .75f, .5f, .5f});  // default axis -1
  ExpectNear(RunSoftmax("Softmax", {2, 2}, Attrs({IntAttr("axis", 0)}), 13),
             {.25f, .5f, .75f, .5f});
  // A middle axis with trailing dims exercises the strided (inner > 1) path.
  ExpectNear(RunSoftmax("Softmax", {1, 2, 2}, Attrs({IntAttr("axis", 1)}), 13),
             {.25f, .5f, .75f, .5f});
}

TEST(SoftmaxTest, BeforeOpset13CoercesTo2D) {
  // axis 0 flattens everything into one row: exp sums to 10.
  ExpectNear(RunSoftmax("Softmax", {2, 2}, Attrs({IntAttr("axis", 0)}), 11), {.1f, .3f, .3f, .3f});
  // The default axis is 1, not -1: [1,2,2] becomes one row of 4 in opset 11 ...
  ExpectNear(RunSoftmax("Softmax", {1, 2, 2}, Attrs({}), 11), {.1f, .3f, .3f, .3f});
  // ... but two rows of 2 in opset 13.
  ExpectNear(RunSoftmax("Softmax", {1, 2, 2}, Attrs({}), 13), {.25f, .75f, .5f, .5f});
  ExpectNear(RunSoftmax("Softmax", {1, 2, 2}, Attrs({IntAttr("axis", 2)}), 7),
             {.25f, .75f, .5f, .5f});
}

TEST(LogSoftmaxTest, MatchesLogOfSoftmaxInBothOpsetModes) {
  ExpectNear(RunSoftmax("LogSoftmax", {2, 2}, Attrs({}), 13),
             {std::log(.25f), std::log(.75f), std::log(.5f), std::log(.5f)});
  ExpectNear(RunSoftmax("LogSoftmax", {1, 2, 2}, Attrs({}), 11),
             {std::log(.1f), std::log(.3f), std::log(.3f), std::log(.3f)});
}

TEST(SoftmaxTest, LargeInputsDoNotOverflow) {
  const Tensor x = Tensor::FromFloats({2}, {10000, 10001});
  auto s = RunOp("Softmax", Attrs({}), {x}, 1, 13);
  auto l = RunOp("LogSoftmax", Attrs({}), {x}, 1, 13);
  ASSERT_TRUE(s.ok() && l.ok());
  const float lse = std::log(1.0f + std::exp(1.0f));
  EXPECT_NEAR((*s)[0].data<float>()[1], std::exp(1.0f - lse), 1e-6f);
  EXPECT_NEAR((*l)[0].data<float>()[0], -lse, 1e-5f);
  EXPECT_NEAR((*l)[0].data<float>()[1], 1.0f - lse, 1e-5f);
}

TEST(SoftmaxTest, RejectsBadAxisRankAndDtype) {
  const Tensor x = Tensor::FromFloats({2, 2}, kX);
  EXPECT_EQ(RunOp("Softmax", Attrs({IntAttr("axis", 2)}), {x}, 1, 13).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunOp("LogSoftmax", Attrs({IntAttr("axis", -3)}), {x}, 1, 11).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunOp("Softmax", Attrs({}), {Tensor::FromFloats({}, {1})}, 1, 13).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunOp("Softmax", Attrs({}), {Tensor::FromInt64s({2}, {1, 2})}, 1, 13).status().code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kinglet
