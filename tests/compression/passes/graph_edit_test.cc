#include "passes/graph_edit.h"

#include <gtest/gtest.h>

#include "pass_test_graph.h"

namespace kinglet::compression::passes {
namespace {

using testing::GraphBuilder;

TEST(ConsumerMapTest, ListsNodeReadsAndGraphOutputs) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 3});
  const int32_t y = b.Node("Relu", "r", {x});
  const int32_t z = b.Node("Add", "add", {y, y});
  b.Output(z);
  b.Output(y);
  const ConsumerMap consumers(b.graph());
  ASSERT_EQ(consumers.Uses(y).size(), 2u);
  EXPECT_EQ(consumers.Uses(y)[0].node, 1u);
  EXPECT_EQ(consumers.Uses(y)[1].slot, 1u);
  EXPECT_EQ(consumers.UseCount(y), 3u);
  EXPECT_TRUE(consumers.IsGraphOutput(y));
  EXPECT_FALSE(consumers.HasSingleNodeUse(y));
  EXPECT_TRUE(consumers.HasSingleNodeUse(x));
  EXPECT_EQ(consumers.UseCount(z), 1u);
  EXPECT_TRUE(consumers.Uses(ir::kNoValue).empty());
  const std::vector<int32_t> producers = ProducerMap(b.graph());
  EXPECT_EQ(producers[x], -1);
  EXPECT_EQ(producers[y], 0);
  EXPECT_EQ(producers[z], 1);
}

TEST(GraphEditTest, UniqueValueNameAvoidsTakenNames) {
  GraphBuilder b;
  b.Input("w", {1});
  b.Input("w_1", {1});
  EXPECT_EQ(UniqueValueName(b.graph(), "v"), "v");
  EXPECT_EQ(UniqueValueName(b.graph(), "w"), "w_2");
}

TEST(GraphEditTest, CompactValuesRenumbersEverythingConsistently) {
  GraphBuilder b;
  const int32_t unused_const = b.RandomConstant("unused", {4});
  const int32_t x = b.Input("x", {2, 3});
  const int32_t unused_input = b.Input("unused_input", {1});
  const int32_t c = b.RandomConstant("c", {3});
  ir::Value orphan;
  orphan.name = "orphan";
  b.graph().AddValue(orphan);
  const int32_t y = b.Node("Add", "add", {x, c});
  b.Output(y);
  ir::Graph& g = b.graph();
  const Tensor c_data = g.constants.at(c);

  EXPECT_EQ(CompactValues(&g), 2u);  // "unused" and "orphan"
  EXPECT_EQ(ir::ValidateGraph(g), "");
  ASSERT_EQ(g.values.size(), 4u);
  EXPECT_EQ(g.FindValue("unused"), ir::kNoValue);
  EXPECT_EQ(g.FindValue("orphan"), ir::kNoValue);
  // Survivors keep their relative order and every reference follows them.
  EXPECT_EQ(g.values[0].name, "x");
  EXPECT_EQ(g.values[1].name, "unused_input");
  EXPECT_EQ(g.values[2].name, "c");
  EXPECT_EQ(g.inputs, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(g.nodes[0].outputs, (std::vector<int32_t>{3}));
  EXPECT_EQ(g.outputs, (std::vector<int32_t>{3}));
  ASSERT_EQ(g.constants.size(), 1u);
  EXPECT_EQ(g.constants.begin()->first, 2);
  EXPECT_EQ(g.constants.begin()->second.raw_data(), c_data.raw_data());
  ASSERT_EQ(g.constant_encoding.size(), 1u);
  EXPECT_EQ(g.constant_encoding.begin()->first, 2);
  (void)unused_const;
  (void)unused_input;
  (void)y;
}

TEST(GraphEditTest, ConstantThatIsAGraphOutputStays) {
  GraphBuilder b;
  const int32_t c = b.RandomConstant("c", {2});
  b.Output(c);
  EXPECT_EQ(CompactValues(&b.graph()), 0u);
  EXPECT_EQ(b.graph().constants.size(), 1u);
}

TEST(GraphEditTest, ReplaceUsesLeavesGraphOutputsAlone) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2});
  const int32_t y = b.Input("y", {2});
  const int32_t r = b.Node("Relu", "r", {x});
  b.Output(x);
  ReplaceUses(&b.graph(), x, y);
  EXPECT_EQ(b.graph().nodes[0].inputs[0], y);
  EXPECT_EQ(b.graph().outputs[0], x);
  (void)r;
}

TEST(GraphEditTest, AddConstantGetsAFreshNameAndDeclaration) {
  GraphBuilder b;
  b.Input("w", {1});
  const int32_t v = AddConstant(&b.graph(), "w", Tensor::FromFloats({2, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(b.graph().values[v].name, "w_1");
  EXPECT_EQ(b.graph().values[v].shape, (Shape{2, 2}));
  EXPECT_TRUE(b.graph().values[v].shape_known);
  EXPECT_EQ(b.graph().constant_encoding.at(v), ir::Encoding::kDenseRaw);
}

TEST(GraphEditTest, RemoveNodesKeepsOrder) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2});
  const int32_t a = b.Node("Relu", "a", {x});
  const int32_t c = b.Node("Relu", "b", {x});
  const int32_t d = b.Node("Relu", "c", {x});
  RemoveNodes(&b.graph(), {false, true, false});
  ASSERT_EQ(b.graph().nodes.size(), 2u);
  EXPECT_EQ(b.graph().nodes[0].name, "a");
  EXPECT_EQ(b.graph().nodes[1].name, "c");
  (void)a, (void)c, (void)d;
}

}  // namespace
}  // namespace kinglet::compression::passes
