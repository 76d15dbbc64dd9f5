#include "passes/remove_identity.h"

#include <gtest/gtest.h>

#include "pass_test_graph.h"

namespace kinglet::compression::passes {
namespace {

using testing::CountNodes;
using testing::GraphBuilder;

Tensor BoolScalar(bool v) {
  Tensor t(DataType::kBool, {});
  *t.data<uint8_t>() = v ? 1 : 0;
  return t;
}

TEST(RemoveIdentityTest, RewiresReadersOfAChain) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 3});
  const int32_t r = b.Node("Relu", "r", {x});
  const int32_t i1 = b.Node("Identity", "i1", {r});
  const int32_t i2 = b.Node("Identity", "i2", {i1});
  const int32_t d = b.Node("Dropout", "drop", {i2});
  b.Output(b.Node("Sigmoid", "s", {d}));
  const ir::Graph before = b.graph();
  ASSERT_TRUE(RemoveIdentity(&b.graph()).ok());
  const ir::Graph& g = b.graph();
  EXPECT_EQ(ir::ValidateGraph(g), "");
  EXPECT_EQ(CountNodes(g), 2);
  EXPECT_EQ(g.nodes[1].op_type, "Sigmoid");
  EXPECT_EQ(g.nodes[1].inputs[0], g.nodes[0].outputs[0]);
  EXPECT_EQ(g.values.size(), 3u);  // unread values were compacted away
  testing::ExpectSameOutputs(before, g);
}

TEST(RemoveIdentityTest, GraphOutputKeepsItsNameByMovingTheProducer) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 3});
  const int32_t r = b.Node("Relu", "r", {x});
  const int32_t other = b.Node("Sigmoid", "other_reader", {r});
  const int32_t i = b.Node("Identity", "i", {r});
  b.Output(i);
  b.Output(other);
  const ir::Graph before = b.graph();
  ASSERT_TRUE(RemoveIdentity(&b.graph()).ok());
  const ir::Graph& g = b.graph();
  EXPECT_EQ(ir::ValidateGraph(g), "");
  EXPECT_EQ(CountNodes(g, "Identity"), 0);
  EXPECT_EQ(g.values[g.outputs[0]].name, "i_out");
  EXPECT_EQ(g.values[g.outputs[1]].name, "other_reader_out");
  EXPECT_EQ(g.nodes[0].outputs[0], g.outputs[0]);  // Relu now writes "i_out"
  EXPECT_EQ(g.nodes[1].inputs[0], g.outputs[0]);   // and its other reader follows
  testing::ExpectSameOutputs(before, g);
}

TEST(RemoveIdentityTest, KeepsIdentityBetweenGraphInputOrConstantAndGraphOutput) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2});
  const int32_t c = b.RandomConstant("c", {2});
  b.Output(b.Node("Identity", "pass_through", {x}));
  b.Output(b.Node("Identity", "constant_output", {c}));
  // Two graph outputs naming the same tensor: one must stay a copy.
  const int32_t r = b.Node("Relu", "r", {x});
  b.Output(r);
  b.Output(b.Node("Identity", "alias", {r}));
  const ir::Graph before = b.graph();
  ASSERT_TRUE(RemoveIdentity(&b.graph()).ok());
  EXPECT_EQ(CountNodes(b.graph(), "Identity"), 3);
  EXPECT_EQ(ir::ValidateGraph(b.graph()), "");
  testing::ExpectSameOutputs(before, b.graph());
}

TEST(RemoveIdentityTest, IdentityOfAConstantBiasIsBypassed) {
  // SqueezeNet's shape: PyTorch dedups equal biases and copies one with an Identity.
  GraphBuilder b;
  const int32_t x = b.Input("x", {1, 2, 5, 5});
  const int32_t w1 = b.RandomConstant("w1", {3, 2, 3, 3});
  const int32_t w2 = b.RandomConstant("w2", {3, 3, 1, 1});
  const int32_t bias = b.Constant("bias", Tensor(DataType::kFloat32, {3}));
  const int32_t bias_copy = b.Node("Identity", "copy_bias", {bias});
  const int32_t c1 = b.Node("Conv", "c1", {x, w1, bias});
  b.Output(b.Node("Conv", "c2", {c1, w2, bias_copy}));
  const ir::Graph before = b.graph();
  ASSERT_TRUE(RemoveIdentity(&b.graph()).ok());
  const ir::Graph& g = b.graph();
  EXPECT_EQ(CountNodes(g), 2);
  EXPECT_EQ(g.nodes[0].inputs[2], g.nodes[1].inputs[2]);
  EXPECT_EQ(g.constants.size(), 3u);
  testing::ExpectSameOutputs(before, g);
}

TEST(RemoveIdentityTest, DropoutOnlyWhenInferenceAndMaskUnread) {
  GraphBuilder b(13);
  const int32_t x = b.Input("x", {2, 3});
  const int32_t ratio = b.Constant("ratio", Tensor::FromFloats({}, {0.5f}));
  const int32_t no = b.Constant("no", BoolScalar(false));
  const int32_t yes = b.Constant("yes", BoolScalar(true));
  // Removable: training_mode constant false, mask absent.
  const int32_t d1 = b.Node("Dropout", "d1", {x, ratio, no});
  // Mask is read: stays.
  std::vector<int32_t> d2 = b.Nodes("Dropout", "d2", {d1}, 2);
  b.Output(d2[0]);
  b.Output(d2[1]);
  // Mask declared but unread: removable.
  std::vector<int32_t> d3 = b.Nodes("Dropout", "d3", {x}, 2);
  b.Output(b.Node("Relu", "r3", {d3[0]}));
  ir::Graph graph = b.graph();
  const ir::Graph before = graph;
  // training_mode true: stays (it would fail at run time, which is the user's business).
  const int32_t d4 = b.Node("Dropout", "d4", {x, ratio, yes});
  b.Output(b.Node("Relu", "r4", {d4}));

  ASSERT_TRUE(RemoveIdentity(&graph).ok());
  EXPECT_EQ(CountNodes(graph, "Dropout"), 1);
  EXPECT_EQ(testing::FindNode(graph, "Dropout")->name, "d2");
  EXPECT_EQ(ir::ValidateGraph(graph), "");
  testing::ExpectSameOutputs(before, graph);

  ASSERT_TRUE(RemoveIdentity(&b.graph()).ok());
  EXPECT_EQ(CountNodes(b.graph(), "Dropout"), 2);
}

}  // namespace
}  // namespace kinglet::compression::passes
