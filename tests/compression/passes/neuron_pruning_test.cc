#include "passes/neuron_pruning.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "calibration.h"
#include "kinglet/compression/onnx_importer.h"
#include "kinglet/npy.h"
#include "pass_test_graph.h"
#include "passes/graph_edit.h"
#include "passes/pipeline.h"

namespace kinglet::compression::passes {
namespace {

using testing::GraphBuilder;
using testing::IntAttr;
using testing::IntsAttr;

const std::string kFixtures = KINGLET_FIXTURES_DIR;

// Zeroes the slices `indices` of `t` along `axis` (a new buffer).
Tensor ZeroSlices(const Tensor& t, int axis, const std::vector<int64_t>& indices) {
  Tensor z = t.Clone();
  const Shape& s = t.shape();
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i : indices) {
      std::fill_n(z.data<float>() + (o * s[axis] + i) * inner, inner, 0.0f);
    }
  }
  return z;
}

// Zeroes slices of the constant `value` in place in the graph (the function of a channel whose
// outgoing weights are zero is not needed, so pruning it must not change the outputs).
void ZeroConstant(ir::Graph* g, int32_t value, int axis, const std::vector<int64_t>& indices) {
  SetConstant(g, value, ZeroSlices(g->constants.at(value), axis, indices));
}

// The same channels expanded by `per` consecutive features each (Flatten, depthwise multiplier).
std::vector<int64_t> Expand(const std::vector<int64_t>& channels, int64_t per, int64_t offset = 0) {
  std::vector<int64_t> out;
  for (int64_t c : channels) {
    for (int64_t k = 0; k < per; ++k) out.push_back(offset + c * per + k);
  }
  return out;
}

void Declare(ir::Graph* g, int32_t v, Shape shape) {
  g->values[v].shape = std::move(shape);
  g->values[v].shape_known = true;
}

int32_t NodeIndex(const ir::Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].name == name) return static_cast<int32_t>(i);
  }
  return -1;
}

const Tensor& Input(const ir::Graph& g, const std::string& node, size_t slot) {
  return g.constants.at(g.nodes[NodeIndex(g, node)].inputs[slot]);
}

// Prunes and checks: validated graph, same outputs, fewer parameters.
NeuronPruneReport ExpectPrunedSame(ir::Graph* g, const std::map<int32_t, std::vector<int64_t>>& removals) {
  const ir::Graph before = *g;
  auto report = PruneNeurons(g, removals);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  if (!report.ok()) return {};
  EXPECT_EQ(ir::ValidateGraph(*g), "");
  EXPECT_LT(report->parameters_after, report->parameters_before);
  testing::ExpectSameOutputs(before, *g, 1e-5);
  return *report;
}

// Structure and constants of a graph, for "untouched" checks.
void ExpectSameGraph(const ir::Graph& a, const ir::Graph& b) {
  ASSERT_EQ(a.values.size(), b.values.size());
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) EXPECT_EQ(a.nodes[i].inputs, b.nodes[i].inputs);
  for (size_t v = 0; v < a.values.size(); ++v) EXPECT_EQ(a.values[v].shape, b.values[v].shape);
  ASSERT_EQ(a.constants.size(), b.constants.size());
  for (const auto& [v, t] : a.constants) {
    EXPECT_EQ(t.shape(), b.constants.at(v).shape());
    EXPECT_EQ(t.raw_data(), b.constants.at(v).raw_data());
  }
}

TEST(NeuronPruningTest, ConvReluConv) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 3, 8, 8});
  const int32_t c1 =
      b.Node("Conv", "conv1", {x, b.RandomConstant("w1", {6, 3, 3, 3}), b.RandomConstant("b1", {6})},
             {IntsAttr("pads", {1, 1, 1, 1})});
  const int32_t r = b.Node("Relu", "relu", {c1});
  const int32_t w2 = b.RandomConstant("w2", {4, 6, 3, 3});
  b.Output(b.Node("Conv", "conv2", {r, w2, b.RandomConstant("b2", {4})}));
  ir::Graph& g = b.graph();
  Declare(&g, c1, {2, 6, 8, 8});
  Declare(&g, r, {2, 6, 8, 8});
  ZeroConstant(&g, w2, 1, {1, 4});
  const NeuronPruneReport report = ExpectPrunedSame(&g, {{NodeIndex(g, "conv1"), {4, 1}}});
  EXPECT_EQ(report.channels_removed, 2);
  EXPECT_EQ(report.parameters_before - report.parameters_after, 2 * 27 + 2 + 2 * 4 * 9);
  EXPECT_EQ(Input(g, "conv1", 1).shape(), (Shape{4, 3, 3, 3}));
  EXPECT_EQ(Input(g, "conv1", 2).shape(), (Shape{4}));
  EXPECT_EQ(Input(g, "conv2", 1).shape(), (Shape{4, 4, 3, 3}));
  EXPECT_EQ(g.values[g.FindValue("relu_out")].shape, (Shape{2, 4, 8, 8}));
  EXPECT_EQ(g.values[g.FindValue("conv1_out")].shape, (Shape{2, 4, 8, 8}));
}

TEST(NeuronPruningTest, ConvBatchNormReluMaxPoolConv) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {1, 2, 8, 8});
  const int32_t c1 = b.Node("Conv", "conv1", {x, b.RandomConstant("w1", {5, 2, 3, 3})});
  const int32_t bn = b.Node("BatchNormalization", "bn",
                            {c1, b.RandomConstant("s", {5}, 0.5f, 2.0f), b.RandomConstant("B", {5}),
                             b.RandomConstant("m", {5}), b.RandomConstant("v", {5}, 0.5f, 2.0f)});
  const int32_t r = b.Node("Relu", "relu", {bn});
  const int32_t p =
      b.Node("MaxPool", "pool", {r}, {IntsAttr("kernel_shape", {2, 2}), IntsAttr("strides", {2, 2})});
  const int32_t w2 = b.RandomConstant("w2", {3, 5, 1, 1});
  b.Output(b.Node("Conv", "conv2", {p, w2}));
  ir::Graph& g = b.graph();
  ZeroConstant(&g, w2, 1, {0, 2, 3});
  ExpectPrunedSame(&g, {{NodeIndex(g, "conv1"), {0, 2, 3}}});
  for (int s = 1; s < 5; ++s) EXPECT_EQ(Input(g, "bn", s).shape(), (Shape{2}));
  EXPECT_EQ(Input(g, "conv2", 1).shape(), (Shape{3, 2, 1, 1}));
}

TEST(NeuronPruningTest, ConvReluFlattenGemm) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 1, 6, 6});
  const int32_t c1 =
      b.Node("Conv", "conv1", {x, b.RandomConstant("w1", {4, 1, 3, 3}), b.RandomConstant("b1", {4})});
  const int32_t r = b.Node("Relu", "relu", {c1});
  const int32_t f = b.Node("Flatten", "flatten", {r}, {IntAttr("axis", 1)});
  const int32_t w2 = b.RandomConstant("w2", {5, 4 * 16});  // transB=1: [N, K]
  b.Output(b.Node("Gemm", "fc", {f, w2, b.RandomConstant("c", {5})}, {IntAttr("transB", 1)}));
  ir::Graph& g = b.graph();
  Declare(&g, r, {2, 4, 4, 4});
  Declare(&g, f, {2, 64});
  ZeroConstant(&g, w2, 1, Expand({1, 3}, 16));
  ExpectPrunedSame(&g, {{NodeIndex(g, "conv1"), {1, 3}}});
  EXPECT_EQ(Input(g, "fc", 1).shape(), (Shape{5, 32}));
  EXPECT_EQ(g.values[g.FindValue("flatten_out")].shape, (Shape{2, 32}));
  EXPECT_EQ(g.values[g.FindValue("relu_out")].shape, (Shape{2, 2, 4, 4}));
}

TEST(NeuronPruningTest, FlattenWithoutDeclaredShapeIsRefused) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 1, 6, 6});
  const int32_t c1 = b.Node("Conv", "conv1", {x, b.RandomConstant("w1", {4, 1, 3, 3})});
  const int32_t f = b.Node("Flatten", "flatten", {c1});
  b.Output(b.Node("Gemm", "fc", {f, b.RandomConstant("w2", {5, 64})}, {IntAttr("transB", 1)}));
  const ir::Graph before = b.graph();
  auto report = PruneNeurons(&b.graph(), {{0, {1}}});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kUnsupported);
  ExpectSameGraph(before, b.graph());
}

TEST(NeuronPruningTest, GemmReluGemmBothTransposes) {
  for (int trans_b : {0, 1}) {
    SCOPED_TRACE(trans_b);
    GraphBuilder b;
    const int32_t x = b.Input("x", {3, 7});
    const Shape w1_shape = trans_b ? Shape{6, 7} : Shape{7, 6};
    const Shape w2_shape = trans_b ? Shape{4, 6} : Shape{6, 4};
    const int32_t h =
        b.Node("Gemm", "fc1", {x, b.RandomConstant("w1", w1_shape), b.RandomConstant("c1", {1, 6})},
               {IntAttr("transB", trans_b)});
    const int32_t r = b.Node("Relu", "relu", {h});
    const int32_t w2 = b.RandomConstant("w2", w2_shape);
    b.Output(b.Node("Gemm", "fc2", {r, w2, b.RandomConstant("c2", {4})}, {IntAttr("transB", trans_b)}));
    ir::Graph& g = b.graph();
    ZeroConstant(&g, w2, trans_b ? 1 : 0, {0, 5});
    ExpectPrunedSame(&g, {{NodeIndex(g, "fc1"), {0, 5}}});
    EXPECT_EQ(Input(g, "fc1", 1).shape(), trans_b ? (Shape{4, 7}) : (Shape{7, 4}));
    EXPECT_EQ(Input(g, "fc1", 2).shape(), (Shape{1, 4}));
    EXPECT_EQ(Input(g, "fc2", 1).shape(), trans_b ? (Shape{4, 4}) : (Shape{4, 4}));
  }
}

TEST(NeuronPruningTest, MatMulChainWithPerChannelAdd) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {3, 5});
  const int32_t h = b.Node("MatMul", "mm1", {x, b.RandomConstant("w1", {5, 6})});
  const int32_t a = b.Node("Add", "add", {h, b.RandomConstant("bias", {6})});
  const int32_t r = b.Node("Relu", "relu", {a});
  const int32_t w2 = b.RandomConstant("w2", {6, 2});
  b.Output(b.Node("MatMul", "mm2", {r, w2}));
  ir::Graph& g = b.graph();
  ZeroConstant(&g, w2, 0, {2, 3});
  ExpectPrunedSame(&g, {{NodeIndex(g, "mm1"), {2, 3}}});
  EXPECT_EQ(Input(g, "add", 1).shape(), (Shape{4}));
  EXPECT_EQ(Input(g, "mm2", 1).shape(), (Shape{4, 2}));
}

// SqueezeNet's fire module: squeeze 1x1 -> relu -> (expand 1x1, expand 3x3) -> relu -> Concat.
TEST(NeuronPruningTest, FireModule) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {1, 4, 6, 6});
  const int32_t sq =
      b.Node("Conv", "squeeze", {x, b.RandomConstant("ws", {3, 4, 1, 1}), b.RandomConstant("bs", {3})});
  const int32_t sr = b.Node("Relu", "squeeze_relu", {sq});
  const int32_t we1 = b.RandomConstant("we1", {4, 3, 1, 1});
  const int32_t we3 = b.RandomConstant("we3", {5, 3, 3, 3});
  const int32_t e1 = b.Node("Conv", "expand1", {sr, we1, b.RandomConstant("be1", {4})});
  const int32_t e3 =
      b.Node("Conv", "expand3", {sr, we3, b.RandomConstant("be3", {5})}, {IntsAttr("pads", {1, 1, 1, 1})});
  const int32_t r1 = b.Node("Relu", "relu1", {e1});
  const int32_t r3 = b.Node("Relu", "relu3", {e3});
  const int32_t cat = b.Node("Concat", "concat", {r1, r3}, {IntAttr("axis", 1)});
  const int32_t wf = b.RandomConstant("wf", {2, 9, 3, 3});
  b.Output(b.Node("Conv", "final", {cat, wf}));
  ir::Graph& g = b.graph();
  Declare(&g, r1, {1, 4, 6, 6});
  Declare(&g, r3, {1, 5, 6, 6});
  Declare(&g, cat, {1, 9, 6, 6});
  // Squeeze channel 1 feeds both expands; expand1 channel 2 and expand3 channels 0, 4 are
  // concat channels 2, 4 and 8.
  ZeroConstant(&g, we1, 1, {1});
  ZeroConstant(&g, we3, 1, {1});
  ZeroConstant(&g, wf, 1, {2, 4, 8});
  ExpectPrunedSame(
      &g,
      {{NodeIndex(g, "squeeze"), {1}}, {NodeIndex(g, "expand1"), {2}}, {NodeIndex(g, "expand3"), {0, 4}}});
  EXPECT_EQ(Input(g, "expand1", 1).shape(), (Shape{3, 2, 1, 1}));
  EXPECT_EQ(Input(g, "expand3", 1).shape(), (Shape{3, 2, 3, 3}));
  EXPECT_EQ(Input(g, "final", 1).shape(), (Shape{2, 6, 3, 3}));
  EXPECT_EQ(g.values[g.FindValue("concat_out")].shape, (Shape{1, 6, 6, 6}));
  EXPECT_EQ(g.values[g.FindValue("relu3_out")].shape, (Shape{1, 3, 6, 6}));
}

// Pointwise -> depthwise (multiplier 2) -> pointwise, as in MobileNet.
TEST(NeuronPruningTest, DepthwiseChainShrinksAlong) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {1, 3, 6, 6});
  const int32_t pw1 =
      b.Node("Conv", "pw1", {x, b.RandomConstant("w1", {4, 3, 1, 1}), b.RandomConstant("b1", {4})});
  const int32_t r1 = b.Node("Relu", "relu1", {pw1});
  const int32_t dw =
      b.Node("Conv", "dw", {r1, b.RandomConstant("wd", {8, 1, 3, 3}), b.RandomConstant("bd", {8})},
             {IntAttr("group", 4), IntsAttr("pads", {1, 1, 1, 1})});
  const int32_t r2 = b.Node("Relu", "relu2", {dw});
  const int32_t w2 = b.RandomConstant("w2", {2, 8, 1, 1});
  b.Output(b.Node("Conv", "pw2", {r2, w2}));
  ir::Graph& g = b.graph();
  Declare(&g, dw, {1, 8, 6, 6});
  // The depthwise bias keeps a pruned channel alive, so zero what reads the depthwise outputs.
  ZeroConstant(&g, w2, 1, Expand({0, 2}, 2));
  ExpectPrunedSame(&g, {{NodeIndex(g, "pw1"), {0, 2}}});
  const ir::Node& dw_node = g.nodes[NodeIndex(g, "dw")];
  EXPECT_EQ(dw_node.attrs.GetInt("group", 0), 2);
  EXPECT_EQ(Input(g, "dw", 1).shape(), (Shape{4, 1, 3, 3}));
  EXPECT_EQ(Input(g, "dw", 2).shape(), (Shape{4}));
  EXPECT_EQ(Input(g, "pw2", 1).shape(), (Shape{2, 4, 1, 1}));
  EXPECT_EQ(g.values[g.FindValue("dw_out")].shape, (Shape{1, 4, 6, 6}));
}

// conv1 -> relu -> a; conv2(a) -> b; Add(a, b) -> conv3.
struct Residual {
  GraphBuilder b;
  int32_t w2 = -1;
  int32_t w3 = -1;
  Residual() {
    const int32_t x = b.Input("x", {1, 2, 5, 5});
    const int32_t a =
        b.Node("Relu", "relu", {b.Node("Conv", "conv1", {x, b.RandomConstant("w1", {4, 2, 1, 1})})});
    w2 = b.RandomConstant("w2", {4, 4, 3, 3});
    const int32_t c2 = b.Node("Conv", "conv2", {a, w2}, {IntsAttr("pads", {1, 1, 1, 1})});
    const int32_t sum = b.Node("Add", "add", {a, c2});
    w3 = b.RandomConstant("w3", {3, 4, 1, 1});
    b.Output(b.Node("Conv", "conv3", {sum, w3}));
  }
};

TEST(NeuronPruningTest, ResidualJoinMismatchIsRefused) {
  Residual r;
  const ir::Graph before = r.b.graph();
  auto report = PruneNeurons(&r.b.graph(), {{NodeIndex(before, "conv1"), {1}}});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(report.status().message().find("add"), std::string::npos) << report.status().ToString();
  ExpectSameGraph(before, r.b.graph());
  auto mismatch =
      PruneNeurons(&r.b.graph(), {{NodeIndex(before, "conv1"), {1}}, {NodeIndex(before, "conv2"), {2}}});
  ASSERT_FALSE(mismatch.ok());
  ExpectSameGraph(before, r.b.graph());
  const std::vector<int32_t> candidates = CandidatePrunableProducers(before);
  EXPECT_EQ(candidates, (std::vector<int32_t>{}));  // conv1, conv2 feed the join; conv3 is the output
}

TEST(NeuronPruningTest, ResidualJoinPrunedAlike) {
  Residual r;
  ir::Graph& g = r.b.graph();
  ZeroConstant(&g, r.w3, 1, {1});  // the joined channel 1
  ZeroConstant(&g, r.w2, 1, {1});  // conv2 also reads conv1's channel 1
  ExpectPrunedSame(&g, {{NodeIndex(g, "conv1"), {1}}, {NodeIndex(g, "conv2"), {1}}});
  EXPECT_EQ(Input(g, "conv2", 1).shape(), (Shape{3, 3, 3, 3}));
  EXPECT_EQ(Input(g, "conv3", 1).shape(), (Shape{3, 3, 1, 1}));
}

TEST(NeuronPruningTest, ReachingGraphOutputIsRefused) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {1, 2, 5, 5});
  const int32_t c = b.Node("Conv", "conv1", {x, b.RandomConstant("w1", {4, 2, 1, 1})});
  const int32_t r = b.Node("Relu", "relu", {c});
  b.Output(r);
  b.Output(b.Node("Conv", "conv2", {r, b.RandomConstant("w2", {3, 4, 1, 1})}));
  const ir::Graph before = b.graph();
  auto report = PruneNeurons(&b.graph(), {{0, {1}}});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(report.status().message().find("relu_out"), std::string::npos) << report.status().ToString();
  ExpectSameGraph(before, b.graph());
  EXPECT_TRUE(CandidatePrunableProducers(before).empty());
}

TEST(NeuronPruningTest, UnsupportedConsumerAndBadRequestsAreRefused) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 6});
  const int32_t h = b.Node("Gemm", "fc1", {x, b.RandomConstant("w1", {4, 6})}, {IntAttr("transB", 1)});
  const int32_t s = b.Node("Softmax", "softmax", {h});
  b.Output(b.Node("Gemm", "fc2", {s, b.RandomConstant("w2", {3, 4})}, {IntAttr("transB", 1)}));
  const ir::Graph before = b.graph();
  auto softmax = PruneNeurons(&b.graph(), {{0, {1}}});
  EXPECT_EQ(softmax.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(PruneNeurons(&b.graph(), {{0, {4}}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PruneNeurons(&b.graph(), {{0, {1, 1}}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PruneNeurons(&b.graph(), {{1, {0}}}).status().code(), StatusCode::kInvalidArgument);  // Softmax
  EXPECT_EQ(PruneNeurons(&b.graph(), {{9, {0}}}).status().code(), StatusCode::kInvalidArgument);
  ExpectSameGraph(before, b.graph());
}

TEST(NeuronPruningTest, RemovingEveryChannelIsRefused) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 6});
  const int32_t h = b.Node("Gemm", "fc1", {x, b.RandomConstant("w1", {3, 6})}, {IntAttr("transB", 1)});
  b.Output(b.Node("Gemm", "fc2", {h, b.RandomConstant("w2", {2, 3})}, {IntAttr("transB", 1)}));
  const ir::Graph before = b.graph();
  EXPECT_EQ(PruneNeurons(&b.graph(), {{0, {0, 1, 2}}}).status().code(), StatusCode::kInvalidArgument);
  ExpectSameGraph(before, b.graph());
}

TEST(NeuronPruningTest, SaliencyIsZeroForChannelsWithoutOutgoingWeights) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {-1, 3, 6, 6});  // CaptureValues feeds batches of any size
  const int32_t c1 = b.Node(
      "Conv", "conv1", {x, b.RandomConstant("w1", {5, 3, 3, 3}), b.RandomConstant("b1", {5}, 0.5f, 1.0f)});
  const int32_t r = b.Node("Relu", "relu", {c1});
  const int32_t w2 = b.RandomConstant("w2", {2, 5, 3, 3});
  b.Output(b.Node("Conv", "conv2", {r, w2}));
  ir::Graph& g = b.graph();
  ZeroConstant(&g, w2, 1, {3});
  EXPECT_EQ(CandidatePrunableProducers(g), (std::vector<int32_t>{0}));
  auto probe = SaliencyProbeValue(g, 0);
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(*probe, r);
  const Tensor calib = testing::RandomTensor({4, 3, 6, 6}, b.rng());
  auto captured = CaptureValues(g, calib, {*probe});
  ASSERT_TRUE(captured.ok()) << captured.status().ToString();
  auto saliency = ChannelSaliency(g, {0}, *captured);
  ASSERT_TRUE(saliency.ok()) << saliency.status().ToString();
  const std::vector<float>& s = saliency->at(0);
  ASSERT_EQ(s.size(), 5u);
  for (int c = 0; c < 5; ++c) {
    if (c == 3) {
      EXPECT_EQ(s[c], 0.0f);
    } else {
      EXPECT_GT(s[c], 0.0f) << c;
    }
  }
  auto pick = SelectChannelsToRemove(*saliency, 0.2);
  ASSERT_TRUE(pick.ok());
  EXPECT_EQ(pick->at(0), (std::vector<int64_t>{3}));
  auto all = SelectChannelsToRemove(*saliency, 1.0, 2);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->at(0).size(), 3u);  // min_keep 2 of 5
  EXPECT_FALSE(SelectChannelsToRemove(*saliency, 1.5).ok());
  EXPECT_FALSE(ChannelSaliency(g, {0}, {calib}).ok());  // 3 channels captured, conv1 has 5
}

// --- Real models: import, transform passes, zero some hidden channels' outgoing weights, prune.

struct Fixture {
  ir::Graph graph;
  Tensor input;
};

Fixture LoadFixture(const std::string& name) {
  Fixture f;
  auto graph = ImportOnnxFile(kFixtures + "/" + name + ".onnx");
  EXPECT_TRUE(graph.ok()) << graph.status().ToString();
  if (!graph.ok()) return f;
  f.graph = std::move(*graph);
  EXPECT_TRUE(RunTransformPasses(&f.graph).ok());
  auto input = ReadNpy(kFixtures + "/" + name + ".input.npy");
  EXPECT_TRUE(input.ok()) << input.status().ToString();
  if (input.ok()) f.input = *input;
  return f;
}

std::vector<int32_t> NodesOf(const ir::Graph& g, const std::string& op) {
  std::vector<int32_t> nodes;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].op_type == op) nodes.push_back(static_cast<int32_t>(i));
  }
  return nodes;
}

void ExpectSameOnFixture(const ir::Graph& before, const ir::Graph& after, const Tensor& input) {
  const std::string name = before.values[before.inputs[0]].name;
  auto want = testing::RunGraph(before, {{name, input}});
  auto got = testing::RunGraph(after, {{name, input}});
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), want->size());
  ASSERT_EQ((*got)[0].tensor.shape(), (*want)[0].tensor.shape());
  EXPECT_LE(testing::MaxRelativeDifference((*got)[0].tensor, (*want)[0].tensor), 1e-5);
}

TEST(NeuronPruningTest, LeNet300HiddenNeurons) {
  Fixture f = LoadFixture("lenet300");
  ASSERT_FALSE(f.graph.nodes.empty());
  const std::vector<int32_t> gemms = NodesOf(f.graph, "Gemm");
  ASSERT_EQ(gemms.size(), 3u);
  EXPECT_EQ(CandidatePrunableProducers(f.graph), (std::vector<int32_t>{gemms[0], gemms[1]}));
  ir::Graph& g = f.graph;
  const std::vector<int64_t> hidden1 = {0, 17, 150, 299};
  const std::vector<int64_t> hidden2 = {5, 6, 99};
  ZeroConstant(&g, g.nodes[gemms[1]].inputs[1], 1, hidden1);  // transB=1: [100, 300]
  ZeroConstant(&g, g.nodes[gemms[2]].inputs[1], 1, hidden2);
  const ir::Graph before = g;
  auto report = PruneNeurons(&g, {{gemms[0], hidden1}, {gemms[1], hidden2}});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->parameters_before - report->parameters_after,
            4 * (784 + 1) + 4 * 100 + 3 * (296 + 1) + 3 * 10);
  EXPECT_EQ(g.constants.at(g.nodes[gemms[1]].inputs[1]).shape(), (Shape{97, 296}));
  ExpectSameOnFixture(before, g, f.input);
}

TEST(NeuronPruningTest, LeNet5ChannelsAndNeuronsFromSaliency) {
  Fixture f = LoadFixture("lenet5");
  ASSERT_FALSE(f.graph.nodes.empty());
  ir::Graph& g = f.graph;
  const std::vector<int32_t> convs = NodesOf(g, "Conv");
  const std::vector<int32_t> gemms = NodesOf(g, "Gemm");
  ASSERT_EQ(convs.size(), 2u);
  ASSERT_EQ(gemms.size(), 2u);
  EXPECT_EQ(CandidatePrunableProducers(g), (std::vector<int32_t>{convs[0], convs[1], gemms[0]}));
  // conv1: 20 channels read by conv2 [50, 20, 5, 5]; conv2: 50 channels of 4x4 read through
  // Flatten by fc1 [500, 800]; fc1: 500 neurons read by fc2 [10, 500].
  const std::vector<int64_t> conv1_gone = {3, 11};
  const std::vector<int64_t> conv2_gone = {0, 7, 49};
  const std::vector<int64_t> fc1_gone = {1, 2, 250, 499};
  ZeroConstant(&g, g.nodes[convs[1]].inputs[1], 1, conv1_gone);
  ZeroConstant(&g, g.nodes[gemms[0]].inputs[1], 1, Expand(conv2_gone, 16));
  ZeroConstant(&g, g.nodes[gemms[1]].inputs[1], 1, fc1_gone);

  // The saliency finds exactly those (every other channel is active and has outgoing weights).
  std::vector<int32_t> probes;
  for (int32_t p : {convs[0], convs[1], gemms[0]}) {
    auto probe = SaliencyProbeValue(g, p);
    ASSERT_TRUE(probe.ok());
    probes.push_back(*probe);
  }
  auto captured = CaptureValues(g, f.input, probes);
  ASSERT_TRUE(captured.ok()) << captured.status().ToString();
  auto saliency = ChannelSaliency(g, {convs[0], convs[1], gemms[0]}, *captured);
  ASSERT_TRUE(saliency.ok()) << saliency.status().ToString();
  auto pick =
      SelectChannelsToRemove(*saliency, {{convs[0], 2.0 / 20}, {convs[1], 3.0 / 50}, {gemms[0], 4.0 / 500}});
  ASSERT_TRUE(pick.ok());
  EXPECT_EQ(pick->at(convs[0]), conv1_gone);
  EXPECT_EQ(pick->at(convs[1]), conv2_gone);
  // fc1 neurons that ReLU silences on all 8 images tie with the zeroed ones at 0; either kind
  // leaves these outputs unchanged.
  EXPECT_EQ(pick->at(gemms[0]).size(), 4u);

  const ir::Graph before = g;
  auto report = PruneNeurons(&g, *pick);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->channels_removed, 9);
  EXPECT_EQ(g.constants.at(g.nodes[convs[1]].inputs[1]).shape(), (Shape{47, 18, 5, 5}));
  EXPECT_EQ(g.constants.at(g.nodes[gemms[0]].inputs[1]).shape(), (Shape{496, 47 * 16}));
  const int32_t flat = g.nodes[NodesOf(g, "Flatten")[0]].outputs[0];
  EXPECT_EQ(g.values[flat].shape.back(), 47 * 16);
  ExpectSameOnFixture(before, g, f.input);
}

// Fire modules on a real graph: the first squeeze conv feeds two expand convs (1x1 and 3x3)
// whose outputs are concatenated; an expand conv's channels reach the next fire's squeeze
// through Concat and MaxPool.
TEST(NeuronPruningTest, SqueezeNetFireModules) {
  Fixture f = LoadFixture("squeezenet1_1");
  ASSERT_FALSE(f.graph.nodes.empty());
  ir::Graph& g = f.graph;
  const ConsumerMap consumers(g);
  const std::vector<int32_t> candidates = CandidatePrunableProducers(g);
  const std::vector<int32_t> convs = NodesOf(g, "Conv");
  ASSERT_GE(convs.size(), 8u);
  // convs[1] is fire2's squeeze, read by convs[2] (expand1x1) and convs[3] (expand3x3).
  const int32_t squeeze = convs[1];
  const int32_t expand1 = convs[2];
  const int32_t expand3 = convs[3];
  const int32_t next_squeeze = convs[4];
  ASSERT_EQ(consumers.Uses(g.nodes[squeeze].outputs[0]).size(), 2u);
  for (int32_t p : {squeeze, expand1, expand3}) {
    EXPECT_NE(std::find(candidates.begin(), candidates.end(), p), candidates.end()) << g.nodes[p].name;
  }
  const int64_t e1 = g.constants.at(g.nodes[expand1].inputs[1]).shape()[0];
  ZeroConstant(&g, g.nodes[expand1].inputs[1], 1, {2, 9});
  ZeroConstant(&g, g.nodes[expand3].inputs[1], 1, {2, 9});
  ZeroConstant(&g, g.nodes[next_squeeze].inputs[1], 1, {0, e1 + 3});
  const ir::Graph before = g;
  auto report = PruneNeurons(&g, {{squeeze, {2, 9}}, {expand1, {0}}, {expand3, {3}}});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_LT(report->parameters_after, report->parameters_before);
  EXPECT_EQ(g.constants.at(g.nodes[next_squeeze].inputs[1]).shape()[1], 2 * e1 - 2);
  ExpectSameOnFixture(before, g, f.input);
}

}  // namespace
}  // namespace kinglet::compression::passes
