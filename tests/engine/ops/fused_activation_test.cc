// The kinglet.activation attributes on Conv, ConvTranspose, Gemm and MatMul: the fused op must
// equal the layer followed by the standalone activation op, bit for bit.
#include "ops/fused_activation.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::FloatAttr;
using testing::IntAttr;
using testing::RunOp;
using testing::StringAttr;

Tensor Random(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  Tensor t(DataType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.element_count(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

struct Layer {
  const char* op;
  std::vector<Tensor> inputs;
  std::vector<ir::Attribute> attrs;
};

std::vector<Layer> Layers() {
  return {
      {"Conv", {Random({1, 3, 5, 5}, 1), Random({4, 3, 3, 3}, 2), Random({4}, 3)}, {}},
      {"ConvTranspose", {Random({1, 3, 4, 4}, 4), Random({3, 2, 3, 3}, 5)}, {}},
      {"Gemm", {Random({3, 5}, 6), Random({4, 5}, 7), Random({4}, 8)}, {IntAttr("transB", 1)}},
      {"MatMul", {Random({2, 3, 5}, 9), Random({5, 4}, 10)}, {}},
  };
}

struct Activation {
  const char* op;
  std::vector<ir::Attribute> op_attrs;     // on the standalone op
  std::vector<ir::Attribute> fused_attrs;  // on the layer
  std::vector<Tensor> extra_inputs;        // Clip's bounds
};

std::vector<Activation> Activations() {
  return {
      {"Relu", {}, {}, {}},
      {"Clip",
       {},
       {FloatAttr("kinglet.activation_min", -0.5f), FloatAttr("kinglet.activation_max", 0.75f)},
       {Tensor::FromFloats({}, {-0.5f}), Tensor::FromFloats({}, {0.75f})}},
      {"LeakyRelu", {FloatAttr("alpha", 0.3f)}, {FloatAttr("kinglet.activation_alpha", 0.3f)}, {}},
      {"Sigmoid", {}, {}, {}},
      {"Tanh", {}, {}, {}},
      {"HardSigmoid",
       {FloatAttr("alpha", 0.3f), FloatAttr("beta", 0.4f)},
       {FloatAttr("kinglet.activation_alpha", 0.3f), FloatAttr("kinglet.activation_beta", 0.4f)},
       {}},
      {"HardSwish", {}, {}, {}},
      {"Elu", {FloatAttr("alpha", 0.6f)}, {FloatAttr("kinglet.activation_alpha", 0.6f)}, {}},
  };
}

TEST(FusedActivationTest, EqualsLayerThenActivation) {
  for (const Layer& layer : Layers()) {
    auto plain = RunOp(layer.op, Attrs(layer.attrs), layer.inputs, 1);
    ASSERT_TRUE(plain.ok()) << layer.op << ": " << plain.status().ToString();
    for (const Activation& act : Activations()) {
      SCOPED_TRACE(std::string(layer.op) + " + " + act.op);
      std::vector<Tensor> act_inputs = {(*plain)[0]};
      act_inputs.insert(act_inputs.end(), act.extra_inputs.begin(), act.extra_inputs.end());
      auto want = RunOp(act.op, Attrs(act.op_attrs), act_inputs, 1);
      ASSERT_TRUE(want.ok()) << want.status().ToString();

      std::vector<ir::Attribute> attrs = layer.attrs;
      attrs.push_back(StringAttr("kinglet.activation", act.op));
      attrs.insert(attrs.end(), act.fused_attrs.begin(), act.fused_attrs.end());
      auto got = RunOp(layer.op, Attrs(attrs), layer.inputs, 1);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_EQ((*got)[0].shape(), (*want)[0].shape());
      EXPECT_EQ(0, std::memcmp((*got)[0].raw_data(), (*want)[0].raw_data(), (*want)[0].byte_size()));
    }
  }
}

TEST(FusedActivationTest, UnknownActivationIsUnsupported) {
  for (const Layer& layer : Layers()) {
    std::vector<ir::Attribute> attrs = layer.attrs;
    attrs.push_back(StringAttr("kinglet.activation", "Swish2000"));
    auto got = RunOp(layer.op, Attrs(attrs), layer.inputs, 1);
    EXPECT_EQ(got.status().code(), StatusCode::kUnsupported) << layer.op;
    EXPECT_NE(got.status().message().find("Swish2000"), std::string::npos) << got.status().ToString();
  }
}

TEST(FusedActivationTest, NonStringAttributeIsInvalid) {
  auto parsed = ops::ReadFusedActivation(Attrs({IntAttr("kinglet.activation", 1)}));
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  auto none = ops::ReadFusedActivation(Attrs({}));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->kind, kernels::reference::FusedActivationKind::kNone);
}

}  // namespace
}  // namespace kinglet
