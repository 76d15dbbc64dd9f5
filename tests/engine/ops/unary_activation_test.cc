#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::FloatAttr;
using testing::RunOp;

const std::vector<float> kX = {-2.0f, -0.5f, 0.0f, 1.0f, 4.0f};

std::vector<float> RunActivation(const char* op, const ir::Attributes& attrs, int64_t opset = 14) {
  auto r = RunOp(op, attrs, {Tensor::FromFloats({5}, kX)}, 1, opset);
  EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ((*r)[0].shape(), (Shape{5}));
  const Tensor& y = (*r)[0];
  return {y.data<float>(), y.data<float>() + y.element_count()};
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << "at " << i;
}

TEST(UnaryActivationTest, ReluAndLeakyRelu) {
  ExpectNear(RunActivation("Relu", Attrs({})), {0, 0, 0, 1, 4});
  ExpectNear(RunActivation("LeakyRelu", Attrs({})), {-0.02f, -0.005f, 0, 1, 4});  // alpha = 0.01
  ExpectNear(RunActivation("LeakyRelu", Attrs({FloatAttr("alpha", 0.5f)})), {-1, -0.25f, 0, 1, 4});
}

TEST(UnaryActivationTest, SigmoidAndTanh) {
  std::vector<float> sigmoid, tanh;
  for (float x : kX) {
    sigmoid.push_back(1.0f / (1.0f + std::exp(-x)));
    tanh.push_back(std::tanh(x));
  }
  ExpectNear(RunActivation("Sigmoid", Attrs({}), 13), sigmoid);
  ExpectNear(RunActivation("Tanh", Attrs({}), 13), tanh);
  // Saturates without overflow at the extremes.
  auto r = RunOp("Sigmoid", Attrs({}), {Tensor::FromFloats({2}, {-1000.0f, 1000.0f})}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].data<float>()[0], 0.0f);
  EXPECT_EQ((*r)[0].data<float>()[1], 1.0f);
}

TEST(UnaryActivationTest, HardSigmoidAndHardSwish) {
  // Defaults alpha = 0.2, beta = 0.5.
  ExpectNear(RunActivation("HardSigmoid", Attrs({}), 6), {0.1f, 0.4f, 0.5f, 0.7f, 1.0f});
  ExpectNear(
      RunActivation("HardSigmoid", Attrs({FloatAttr("alpha", 0.5f), FloatAttr("beta", 0.6f)}), 6),
      {0.0f, 0.35f, 0.6f, 1.0f, 1.0f});
  // x * clamp(x / 6 + 0.5, 0, 1)
  ExpectNear(RunActivation("HardSwish", Attrs({})),
             {-2.0f / 6, -0.5f * (0.5f - 0.5f / 6), 0, 1.0f * (0.5f + 1.0f / 6), 4});
}

TEST(UnaryActivationTest, Elu) {
  ExpectNear(RunActivation("Elu", Attrs({}), 6), {std::expm1(-2.0f), std::expm1(-0.5f), 0, 1, 4});
  ExpectNear(RunActivation("Elu", Attrs({FloatAttr("alpha", 2.0f)}), 6),
             {2 * std::expm1(-2.0f), 2 * std::expm1(-0.5f), 0, 1, 4});
}

TEST(UnaryActivationTest, RejectsNonFloatAndWrongArity) {
  const Tensor ints = Tensor::FromInt64s({2}, {1, -1});
  for (const char* op :
       {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu"}) {
    EXPECT_EQ(RunOp(op, Attrs({}), {ints}, 1).status().code(), StatusCode::kUnsupported) << op;
  }
  const Tensor f = Tensor::FromFloats({1}, {1});
  EXPECT_EQ(RunOp("Relu", Attrs({}), {f, f}, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunOp("Relu", Attrs({}), {}, 1).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kinglet
