// Load-time activation fusion: which pairs fold, which must not, and that a session running the
// fused graph computes what the separate nodes do.
#include "ir/activation_fusion.h"

#include <gtest/gtest.h>

#include "kinglet/model.h"
#include "kinglet/session.h"

namespace kinglet::ir {
namespace {

// y = act(x * W^T) through a Gemm, x: [2, 3], W: [2, 3]; `extra_output` also exposes the Gemm's
// output, `clip_bound_input` feeds Clip's max from a graph input instead of a constant.
Graph GemmThen(const std::string& activation, bool extra_output = false, bool clip_bound_input = false) {
  Graph g;
  g.opset = 13;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {2, 3}, true});
  const int32_t w = g.AddValue({"w", DataType::kFloat32, {2, 3}, true});
  const int32_t h = g.AddValue({"h", DataType::kFloat32, {2, 2}, true});
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {2, 2}, true});
  g.inputs = {x};
  g.outputs = {y};
  if (extra_output) g.outputs.push_back(h);
  g.constants[w] = Tensor::FromFloats({2, 3}, {1, -2, 3, -1, 0.5f, 2});
  Node gemm{"fc", "Gemm", {x, w}, {h}, {}};
  gemm.attrs.Set(Attribute::Int("transB", 1));
  Node act{"act", activation, {h}, {y}, {}};
  if (activation == "Clip") {
    const int32_t lo = g.AddValue({"lo", DataType::kFloat32, {}, true});
    g.constants[lo] = Tensor::FromFloats({}, {-1.0f});
    int32_t hi = g.AddValue({"hi", DataType::kFloat32, {}, true});
    if (clip_bound_input) {
      g.inputs.push_back(hi);
    } else {
      g.constants[hi] = Tensor::FromFloats({}, {2.5f});
    }
    act.inputs = {h, lo, hi};
  }
  g.nodes = {gemm, act};
  return g;
}

TEST(ActivationFusionTest, FoldsReluAndClipIntoTheLayer) {
  Graph relu = GemmThen("Relu");
  EXPECT_EQ(FuseActivations(relu, &relu.nodes), 1);
  ASSERT_EQ(relu.nodes.size(), 1u);
  EXPECT_EQ(relu.nodes[0].attrs.GetString("kinglet.activation", ""), "Relu");
  EXPECT_EQ(relu.nodes[0].outputs[0], relu.FindValue("y"));

  Graph clip = GemmThen("Clip");
  EXPECT_EQ(FuseActivations(clip, &clip.nodes), 1);
  ASSERT_EQ(clip.nodes.size(), 1u);
  EXPECT_FLOAT_EQ(clip.nodes[0].attrs.GetFloat("kinglet.activation_min", 0), -1.0f);
  EXPECT_FLOAT_EQ(clip.nodes[0].attrs.GetFloat("kinglet.activation_max", 0), 2.5f);
}

TEST(ActivationFusionTest, LeavesPairsItCannotFold) {
  Graph exposed = GemmThen("Relu", /*extra_output=*/true);
  EXPECT_EQ(FuseActivations(exposed, &exposed.nodes), 0) << "the layer's output is also a graph output";
  Graph runtime_bound = GemmThen("Clip", false, /*clip_bound_input=*/true);
  EXPECT_EQ(FuseActivations(runtime_bound, &runtime_bound.nodes), 0) << "Clip's max is only known at run time";
  Graph softmax = GemmThen("Softmax");
  EXPECT_EQ(FuseActivations(softmax, &softmax.nodes), 0) << "not an elementwise activation";
  EXPECT_EQ(softmax.nodes.size(), 2u);
}

TEST(ActivationFusionTest, SessionFusesAtLoadAndComputesTheSameValues) {
  auto model = Model::FromGraph(GemmThen("Clip"));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok());
  std::vector<NamedTensor> outputs;
  const Tensor x = Tensor::FromFloats({2, 3}, {1, 1, 1, 2, -1, 0.5f});
  ASSERT_TRUE((*session)->Run({{"x", x}}, &outputs).ok());
  // h = x * W^T = [[2, 1.5], [5.5, -1.5]], clipped to [-1, 2.5].
  const float want[] = {2.0f, 1.5f, 2.5f, -1.0f};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(outputs[0].tensor.data<float>()[i], want[i]) << i;
  EXPECT_EQ((*model)->graph().nodes.size(), 2u) << "the shared model is not modified";
}

}  // namespace
}  // namespace kinglet::ir
