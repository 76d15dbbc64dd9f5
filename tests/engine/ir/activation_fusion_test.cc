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

// 1x1 convs over x [1, 2, 4, 4]: two of them concatenated, or one max-pooled 2x2 (`pads` on
// every side), then `activation`. `expose` also makes the conv outputs graph outputs, which
// blocks every fusion: the same values computed node by node.
Graph ConvsThen(const std::string& between, const std::string& activation, bool expose = false,
                int64_t pads = 0) {
  Graph g;
  g.opset = 13;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {1, 2, 4, 4}, true});
  g.inputs = {x};
  auto conv = [&](const std::string& name, std::vector<float> w) {
    const int32_t wv = g.AddValue({name + ".w", DataType::kFloat32, {2, 2, 1, 1}, true});
    g.constants[wv] = Tensor::FromFloats({2, 2, 1, 1}, std::move(w));
    const int32_t out = g.AddValue({name, DataType::kFloat32, {}, false});
    g.nodes.push_back(Node{name, "Conv", {x, wv}, {out}, {}});
    if (expose) g.outputs.push_back(out);
    return out;
  };
  const int32_t a = conv("a", {1, -2, 0.5f, 1});
  const int32_t mid = g.AddValue({"mid", DataType::kFloat32, {}, false});
  if (between == "Concat") {
    const int32_t b = conv("b", {-1, 0.25f, 2, -0.5f});
    Node concat{"cat", "Concat", {a, b}, {mid}, {}};
    concat.attrs.Set(Attribute::Int("axis", 1));
    g.nodes.push_back(concat);
  } else {
    Node pool{"pool", "MaxPool", {a}, {mid}, {}};
    pool.attrs.Set(Attribute::Ints("kernel_shape", {2, 2}));
    pool.attrs.Set(Attribute::Ints("strides", {2, 2}));
    pool.attrs.Set(Attribute::Ints("pads", {pads, pads, pads, pads}));
    g.nodes.push_back(pool);
  }
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {}, false});
  g.nodes.push_back(Node{"act", activation, {mid}, {y}, {}});
  g.outputs.insert(g.outputs.begin(), y);
  return g;
}

TEST(ActivationFusionTest, FoldsThroughConcatAndMaxPool) {
  Graph concat = ConvsThen("Concat", "Relu");
  EXPECT_EQ(FuseActivations(concat, &concat.nodes), 1);
  ASSERT_EQ(concat.nodes.size(), 3u);
  EXPECT_EQ(concat.nodes[0].attrs.GetString("kinglet.activation", ""), "Relu");
  EXPECT_EQ(concat.nodes[1].attrs.GetString("kinglet.activation", ""), "Relu");
  EXPECT_EQ(concat.nodes[2].outputs[0], concat.FindValue("y")) << "the concat writes the activation's output";

  Graph pool = ConvsThen("MaxPool", "Sigmoid");
  EXPECT_EQ(FuseActivations(pool, &pool.nodes), 1);
  ASSERT_EQ(pool.nodes.size(), 2u);
  EXPECT_EQ(pool.nodes[0].attrs.GetString("kinglet.activation", ""), "Sigmoid");
  EXPECT_EQ(pool.nodes[1].outputs[0], pool.FindValue("y"));
}

TEST(ActivationFusionTest, LeavesMaxPoolsAnActivationDoesNotCommuteWith) {
  Graph hard_swish = ConvsThen("MaxPool", "HardSwish");
  EXPECT_EQ(FuseActivations(hard_swish, &hard_swish.nodes), 0) << "HardSwish is not monotone";
  Graph wide_pads = ConvsThen("MaxPool", "Relu", false, /*pads=*/2);
  EXPECT_EQ(FuseActivations(wide_pads, &wide_pads.nodes), 0) << "a window can lie wholly in the padding";
  Graph exposed = ConvsThen("Concat", "Relu", /*expose=*/true);
  EXPECT_EQ(FuseActivations(exposed, &exposed.nodes), 0) << "a concat input is also a graph output";
}

TEST(ActivationFusionTest, FusedThroughConcatAndMaxPoolComputesTheSameValues) {
  for (const char* between : {"Concat", "MaxPool"}) {
    std::vector<std::vector<NamedTensor>> results;
    for (bool expose : {false, true}) {
      auto model = Model::FromGraph(ConvsThen(between, "Relu", expose, /*pads=*/1));
      ASSERT_TRUE(model.ok()) << model.status().ToString();
      auto session = Session::Create(*model);
      ASSERT_TRUE(session.ok()) << session.status().ToString();
      std::vector<float> x(32);
      for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7) % 11) - 5.0f;
      results.emplace_back();
      ASSERT_TRUE((*session)->Run({{"x", Tensor::FromFloats({1, 2, 4, 4}, x)}}, &results.back()).ok());
    }
    const Tensor& fused = results[0][0].tensor;
    const Tensor& separate = results[1][0].tensor;
    ASSERT_EQ(fused.shape(), separate.shape()) << between;
    for (int64_t i = 0; i < fused.element_count(); ++i) {
      EXPECT_EQ(fused.data<float>()[i], separate.data<float>()[i]) << between << " element " << i;
    }
  }
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
