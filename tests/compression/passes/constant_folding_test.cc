#include "passes/constant_folding.h"

#include <gtest/gtest.h>

#include "pass_test_graph.h"

namespace kinglet::compression::passes {
namespace {

using testing::CountNodes;
using testing::GraphBuilder;

TEST(ConstantFoldingTest, FoldsConstantChainsToAFixedPoint) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 6});
  const int32_t w = b.RandomConstant("w", {3, 2});
  const int32_t scale = b.RandomConstant("scale", {3, 2});
  const int32_t shape = b.Constant("shape", Tensor::FromInt64s({1}, {6}));
  // (w * scale) -> Transpose -> Reshape([6]) -> x + that: three folds, one after another.
  const int32_t scaled = b.Node("Mul", "scaled", {w, scale});
  const int32_t t = b.Node("Transpose", "t", {scaled}, {testing::IntsAttr("perm", {1, 0})});
  const int32_t flat = b.Node("Reshape", "flat", {t, shape});
  b.Output(b.Node("Add", "add", {x, flat}));
  const ir::Graph before = b.graph();

  ASSERT_TRUE(FoldConstants(&b.graph()).ok());
  const ir::Graph& g = b.graph();
  EXPECT_EQ(ir::ValidateGraph(g), "");
  ASSERT_EQ(CountNodes(g), 1);
  EXPECT_EQ(g.nodes[0].op_type, "Add");
  // Only the folded operand is left; its value keeps the name of the node output it replaces.
  ASSERT_EQ(g.constants.size(), 1u);
  const int32_t folded = g.nodes[0].inputs[1];
  EXPECT_EQ(g.values[folded].name, "flat_out");
  EXPECT_EQ(g.values[folded].shape, (Shape{6}));
  EXPECT_TRUE(g.constants.count(folded));
  testing::ExpectSameOutputs(before, g);
}

TEST(ConstantFoldingTest, FoldedGraphOutputIsWrittenByAnIdentity) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {3});
  const int32_t c1 = b.RandomConstant("c1", {3});
  const int32_t c2 = b.RandomConstant("c2", {3});
  const int32_t sum = b.Node("Add", "sum", {c1, c2});
  b.Output(sum);
  b.Output(b.Node("Mul", "mul", {x, sum}));
  const ir::Graph before = b.graph();
  ASSERT_TRUE(FoldConstants(&b.graph()).ok());
  const ir::Graph& g = b.graph();
  EXPECT_EQ(ir::ValidateGraph(g), "");
  EXPECT_EQ(CountNodes(g, "Add"), 0);
  ASSERT_EQ(CountNodes(g, "Identity"), 1);
  EXPECT_EQ(g.values[g.outputs[0]].name, "sum_out");
  const ir::Node* identity = testing::FindNode(g, "Identity");
  EXPECT_TRUE(g.constants.count(identity->inputs[0]));
  // The later reader reads the constant, not the Identity's output.
  const ir::Node* mul = testing::FindNode(g, "Mul");
  EXPECT_TRUE(g.constants.count(mul->inputs[1]));
  testing::ExpectSameOutputs(before, g);

  // Idempotent: the Identity of a constant graph output is the canonical form.
  ir::Graph again = g;
  ASSERT_TRUE(FoldConstants(&again).ok());
  EXPECT_EQ(CountNodes(again), CountNodes(g));
  (void)x;
}

TEST(ConstantFoldingTest, LeavesHugeResultsAndNonConstantNodes) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {4});
  const int32_t c = b.RandomConstant("c", {64, 64});
  const int32_t r = b.Node("Relu", "big", {c});  // 16 KB
  const int32_t s =
      b.Node("ReduceMean", "mean", {r}, {testing::IntsAttr("axes", {0, 1}), testing::IntAttr("keepdims", 0)});
  b.Output(b.Node("Add", "add", {x, s}));
  const ir::Graph before = b.graph();
  ir::Graph small_limit = b.graph();
  ASSERT_TRUE(FoldConstants(&small_limit, /*max_output_bytes=*/1024).ok());
  EXPECT_EQ(CountNodes(small_limit), 3);  // Relu too big, so ReduceMean's input is not constant
  ASSERT_TRUE(FoldConstants(&b.graph()).ok());
  EXPECT_EQ(CountNodes(b.graph()), 1);
  EXPECT_EQ(b.graph().constants.size(), 1u);
  testing::ExpectSameOutputs(before, b.graph());
  testing::ExpectSameOutputs(before, small_limit);
}

TEST(ConstantFoldingTest, NodeThatFailsToEvaluateIsLeftForTheSessionToReport) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2});
  const int32_t c1 = b.RandomConstant("c1", {2});
  const int32_t c2 = b.RandomConstant("c2", {3});
  b.Output(b.Node("Add", "bad", {c1, c2}));
  b.Output(b.Node("Relu", "r", {x}));
  ASSERT_TRUE(FoldConstants(&b.graph()).ok());
  EXPECT_EQ(CountNodes(b.graph(), "Add"), 1);
}

}  // namespace
}  // namespace kinglet::compression::passes
