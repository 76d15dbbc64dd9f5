#include "passes/fold_batch_norm.h"

#include <gtest/gtest.h>

#include "pass_test_graph.h"

namespace kinglet::compression::passes {
namespace {

using testing::CountNodes;
using testing::GraphBuilder;
using testing::IntAttr;

// BN with random statistics (variances in [0.2, 2], so the scales are far from 1).
int32_t AddBatchNorm(GraphBuilder& b, const std::string& name, int32_t x, int64_t channels) {
  const int32_t scale = b.RandomConstant(name + "_scale", {channels}, 0.5f, 2.0f);
  const int32_t bias = b.RandomConstant(name + "_B", {channels});
  const int32_t mean = b.RandomConstant(name + "_mean", {channels});
  const int32_t var = b.RandomConstant(name + "_var", {channels}, 0.2f, 2.0f);
  return b.Node("BatchNormalization", name, {x, scale, bias, mean, var},
                {testing::FloatAttr("epsilon", 1e-3f)});
}

// Runs the pass and checks: no BN left, the layer writes the old BN output, same results.
void ExpectFolded(GraphBuilder& b, const std::string& layer_op) {
  const ir::Graph before = b.graph();
  const std::string out_name = before.values[before.outputs[0]].name;
  ASSERT_TRUE(FoldBatchNorm(&b.graph()).ok());
  const ir::Graph& g = b.graph();
  EXPECT_EQ(ir::ValidateGraph(g), "");
  EXPECT_EQ(CountNodes(g, "BatchNormalization"), 0);
  EXPECT_EQ(CountNodes(g), CountNodes(before) - 1);
  const ir::Node* layer = testing::FindNode(g, layer_op);
  ASSERT_NE(layer, nullptr);
  EXPECT_EQ(g.values[layer->outputs[0]].name, out_name);
  // The BN's statistics are gone from the graph.
  for (const auto& [v, t] : g.constants)
    EXPECT_EQ(g.values[v].name.find("bn_"), std::string::npos) << g.values[v].name;
  testing::ExpectSameOutputs(before, g);
}

TEST(FoldBatchNormTest, ConvWithBias) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 3, 7, 7});
  const int32_t conv =
      b.Node("Conv", "conv", {x, b.RandomConstant("w", {4, 3, 3, 3}), b.RandomConstant("b", {4})},
             {testing::IntsAttr("pads", {1, 1, 1, 1})});
  b.Output(AddBatchNorm(b, "bn_1", conv, 4));
  ExpectFolded(b, "Conv");
  EXPECT_EQ(b.graph().constants.size(), 2u);  // W and B rewritten in place
}

TEST(FoldBatchNormTest, GroupedConvWithoutBiasGetsOne) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {1, 4, 6, 6});
  const int32_t conv = b.Node("Conv", "conv", {x, b.RandomConstant("w", {6, 2, 3, 3})},
                              {IntAttr("group", 2), testing::IntsAttr("strides", {2, 2})});
  b.Output(AddBatchNorm(b, "bn_1", conv, 6));
  ExpectFolded(b, "Conv");
  const ir::Node* conv_node = testing::FindNode(b.graph(), "Conv");
  ASSERT_EQ(conv_node->inputs.size(), 3u);
  EXPECT_TRUE(b.graph().constants.count(conv_node->inputs[2]));
}

TEST(FoldBatchNormTest, DepthwiseConv) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {1, 5, 6, 6});
  const int32_t conv =
      b.Node("Conv", "dw", {x, b.RandomConstant("w", {5, 1, 3, 3}), b.RandomConstant("b", {5})},
             {IntAttr("group", 5)});
  b.Output(AddBatchNorm(b, "bn_1", conv, 5));
  ExpectFolded(b, "Conv");
}

TEST(FoldBatchNormTest, GroupedConvTranspose) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {1, 4, 5, 5});
  // W [C=4, M/group=3, 3, 3] with group 2: 6 output channels.
  const int32_t deconv = b.Node("ConvTranspose", "deconv", {x, b.RandomConstant("w", {4, 3, 3, 3})},
                                {IntAttr("group", 2), testing::IntsAttr("strides", {2, 2})});
  b.Output(AddBatchNorm(b, "bn_1", deconv, 6));
  ExpectFolded(b, "ConvTranspose");
}

TEST(FoldBatchNormTest, GemmBothTransposes) {
  for (int trans_b : {0, 1}) {
    SCOPED_TRACE(trans_b);
    GraphBuilder b;
    const int32_t x = b.Input("x", {3, 5});
    const Shape w_shape = trans_b ? Shape{4, 5} : Shape{5, 4};
    const int32_t gemm = b.Node(
        "Gemm", "fc", {x, b.RandomConstant("w", w_shape), b.RandomConstant("c", {1, 4})},
        {IntAttr("transB", trans_b), testing::FloatAttr("alpha", 0.5f), testing::FloatAttr("beta", 2.0f)});
    b.Output(AddBatchNorm(b, "bn_1", gemm, 4));
    ExpectFolded(b, "Gemm");
  }
}

TEST(FoldBatchNormTest, GemmWithoutCAndWithScalarC) {
  for (bool scalar_c : {false, true}) {
    SCOPED_TRACE(scalar_c);
    GraphBuilder b;
    const int32_t x = b.Input("x", {3, 5});
    std::vector<int32_t> inputs = {x, b.RandomConstant("w", {4, 5})};
    if (scalar_c) inputs.push_back(b.RandomConstant("c", {}));
    const int32_t gemm = b.Node("Gemm", "fc", inputs, {IntAttr("transB", 1)});
    b.Output(AddBatchNorm(b, "bn_1", gemm, 4));
    ExpectFolded(b, "Gemm");
  }
}

TEST(FoldBatchNormTest, MatMulBecomesGemm) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {3, 5});
  const int32_t mm = b.Node("MatMul", "mm", {x, b.RandomConstant("w", {5, 4})});
  b.Output(AddBatchNorm(b, "bn_1", mm, 4));
  ExpectFolded(b, "Gemm");
  EXPECT_EQ(CountNodes(b.graph(), "MatMul"), 0);
}

TEST(FoldBatchNormTest, SharedWeightIsCopiedNotOverwritten) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {1, 2, 5, 5});
  const int32_t w = b.RandomConstant("w", {2, 2, 3, 3});
  const int32_t c1 = b.Node("Conv", "c1", {x, w});
  const int32_t bn = AddBatchNorm(b, "bn_1", c1, 2);
  b.Output(b.Node("Conv", "c2", {bn, w}));  // reads the original w
  const ir::Graph before = b.graph();
  ASSERT_TRUE(FoldBatchNorm(&b.graph()).ok());
  const ir::Graph& g = b.graph();
  EXPECT_EQ(CountNodes(g, "BatchNormalization"), 0);
  EXPECT_NE(g.nodes[0].inputs[1], g.nodes[1].inputs[1]);
  EXPECT_EQ(g.values[g.nodes[1].inputs[1]].name, "w");
  testing::ExpectSameOutputs(before, g);
}

TEST(FoldBatchNormTest, ThroughAConcatOfConvs) {
  // A fire module's expand layers: 1x1 and 3x3 convs concatenated, then one BN over both.
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 3, 6, 6});
  const int32_t e1 =
      b.Node("Conv", "expand1x1", {x, b.RandomConstant("w1", {4, 3, 1, 1}), b.RandomConstant("b1", {4})});
  const int32_t e3 = b.Node("Conv", "expand3x3", {x, b.RandomConstant("w3", {5, 3, 3, 3})},
                            {testing::IntsAttr("pads", {1, 1, 1, 1})});
  const int32_t cat = b.Node("Concat", "cat", {e1, e3}, {IntAttr("axis", 1)});
  b.Output(AddBatchNorm(b, "bn_1", cat, 9));
  ExpectFolded(b, "Concat");
  EXPECT_EQ(CountNodes(b.graph(), "Conv"), 2);
}

TEST(FoldBatchNormTest, ThroughAMaxPoolOnlyWhenEveryScaleIsPositive) {
  for (bool positive : {true, false}) {
    GraphBuilder b;
    const int32_t x = b.Input("x", {1, 3, 8, 8});
    const int32_t conv = b.Node("Conv", "conv", {x, b.RandomConstant("w", {4, 3, 3, 3})});
    const int32_t pool =
        b.Node("MaxPool", "pool", {conv},
               {testing::IntsAttr("kernel_shape", {2, 2}), testing::IntsAttr("strides", {2, 2})});
    // A negative scale turns the max into a min: that BN must stay after the pool.
    const int32_t scale = positive ? b.RandomConstant("bn_scale", {4}, 0.5f, 2.0f)
                                   : b.RandomConstant("bn_scale", {4}, -2.0f, -0.5f);
    b.Output(b.Node("BatchNormalization", "bn_1",
                    {pool, scale, b.RandomConstant("bn_B", {4}), b.RandomConstant("bn_mean", {4}),
                     b.RandomConstant("bn_var", {4}, 0.2f, 2.0f)}));
    if (positive) {
      ExpectFolded(b, "MaxPool");
      continue;
    }
    const ir::Graph before = b.graph();
    ASSERT_TRUE(FoldBatchNorm(&b.graph()).ok());
    EXPECT_EQ(CountNodes(b.graph(), "BatchNormalization"), 1);
    testing::ExpectSameOutputs(before, b.graph());
  }
}

TEST(FoldBatchNormTest, LeavesBatchNormItCannotFold) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {1, 3, 6, 6});
  // After a graph input.
  const int32_t bn0 = AddBatchNorm(b, "bn_0", x, 3);
  // After a pooling.
  const int32_t pool = b.Node("MaxPool", "pool", {bn0}, {testing::IntsAttr("kernel_shape", {2, 2})});
  const int32_t bn1 = AddBatchNorm(b, "bn_1", pool, 3);
  // After a conv whose output has another reader.
  const int32_t conv = b.Node("Conv", "conv", {bn1, b.RandomConstant("w", {3, 3, 1, 1})});
  const int32_t bn2 = AddBatchNorm(b, "bn_2", conv, 3);
  const int32_t sum = b.Node("Add", "sum", {bn2, conv});
  // After a conv with a weight computed at run time.
  const int32_t w = b.Input("w", {3, 3, 1, 1});
  const int32_t conv2 = b.Node("Conv", "conv2", {sum, w});
  b.Output(AddBatchNorm(b, "bn_3", conv2, 3));
  const ir::Graph before = b.graph();
  ASSERT_TRUE(FoldBatchNorm(&b.graph()).ok());
  EXPECT_EQ(CountNodes(b.graph(), "BatchNormalization"), 4);
  EXPECT_EQ(CountNodes(b.graph()), CountNodes(before));
  testing::ExpectSameOutputs(before, b.graph());
}

TEST(FoldBatchNormTest, MatMulWithBatchedInputIsLeft) {
  // [B, T, K] x [K, N]: BN's channel axis 1 is T, not the weight's columns.
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 4, 5});
  const int32_t mm = b.Node("MatMul", "mm", {x, b.RandomConstant("w", {5, 3})});
  b.Output(AddBatchNorm(b, "bn_1", mm, 4));
  const ir::Graph before = b.graph();
  ASSERT_TRUE(FoldBatchNorm(&b.graph()).ok());
  EXPECT_EQ(CountNodes(b.graph(), "BatchNormalization"), 1);
  testing::ExpectSameOutputs(before, b.graph());
}

}  // namespace
}  // namespace kinglet::compression::passes
