#include "passes/dead_node_elimination.h"

#include <gtest/gtest.h>

#include "pass_test_graph.h"

namespace kinglet::compression::passes {
namespace {

using testing::CountNodes;
using testing::GraphBuilder;

TEST(DeadNodeEliminationTest, RemovesBranchesThatReachNoOutput) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 4});
  const int32_t unused_input = b.Input("unused_input", {3});
  const int32_t w = b.RandomConstant("w", {4});
  const int32_t dead_w = b.RandomConstant("dead_w", {4});
  const int32_t dead1 = b.Node("Mul", "dead1", {x, dead_w});
  const int32_t live = b.Node("Add", "live", {x, w});
  const int32_t dead2 = b.Node("Relu", "dead2", {dead1});
  const int32_t out = b.Node("Relu", "out", {live});
  b.Output(out);
  ir::Graph before = b.graph();

  ASSERT_TRUE(EliminateDeadNodes(&b.graph()).ok());
  const ir::Graph& g = b.graph();
  EXPECT_EQ(ir::ValidateGraph(g), "");
  EXPECT_EQ(CountNodes(g), 2);
  EXPECT_EQ(CountNodes(g, "Mul"), 0);
  EXPECT_EQ(g.FindValue("dead_w"), ir::kNoValue);
  EXPECT_EQ(g.FindValue("dead1_out"), ir::kNoValue);
  EXPECT_EQ(g.FindValue("dead2_out"), ir::kNoValue);
  EXPECT_EQ(g.constants.size(), 1u);
  EXPECT_EQ(g.constant_encoding.size(), 1u);
  EXPECT_EQ(g.values.size(), 5u);  // x, unused_input, w, live_out, out_out
  // The public contract: every input stays (even unread) and outputs keep their names.
  ASSERT_EQ(g.inputs.size(), 2u);
  EXPECT_EQ(g.values[g.inputs[1]].name, "unused_input");
  EXPECT_EQ(g.values[g.outputs[0]].name, "out_out");
  EXPECT_EQ(g.values[g.constants.begin()->first].name, "w");
  testing::ExpectSameOutputs(before, g);
  (void)unused_input, (void)dead2;
}

TEST(DeadNodeEliminationTest, KeepsMultiOutputNodeWhenOneOutputIsUsed) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {4, 2});
  std::vector<int32_t> parts = b.Nodes("Split", "split", {x}, 2, {testing::IntAttr("axis", 0)});
  b.Output(b.Node("Relu", "r", {parts[1]}));
  ir::Graph before = b.graph();
  ASSERT_TRUE(EliminateDeadNodes(&b.graph()).ok());
  EXPECT_EQ(CountNodes(b.graph()), 2);
  EXPECT_EQ(ir::ValidateGraph(b.graph()), "");
  testing::ExpectSameOutputs(before, b.graph());
}

TEST(DeadNodeEliminationTest, GraphWithNothingDeadIsUnchanged) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2});
  b.Output(b.Node("Relu", "r", {x}));
  const ir::Graph before = b.graph();
  ASSERT_TRUE(EliminateDeadNodes(&b.graph()).ok());
  EXPECT_EQ(b.graph().values.size(), before.values.size());
  EXPECT_EQ(b.graph().nodes.size(), before.nodes.size());
}

}  // namespace
}  // namespace kinglet::compression::passes
