#include "passes/fuse_activation.h"

#include <gtest/gtest.h>

#include "kinglet/compression/kgl_writer.h"
#include "kinglet/model.h"
#include "pass_test_graph.h"

namespace kinglet::compression::passes {
namespace {

using testing::CountNodes;
using testing::FloatAttr;
using testing::GraphBuilder;
using testing::IntAttr;

// The layer followed by `act`; returns the activation's output (the graph output).
int32_t LayerThen(GraphBuilder& b, const std::string& layer, int32_t x, const std::string& act,
                  std::vector<int32_t> act_extra_inputs = {}, std::vector<ir::Attribute> act_attrs = {}) {
  int32_t y = ir::kNoValue;
  if (layer == "Conv") {
    y = b.Node("Conv", "layer", {x, b.RandomConstant("w", {4, 3, 3, 3}), b.RandomConstant("b", {4})});
  } else if (layer == "ConvTranspose") {
    y = b.Node("ConvTranspose", "layer", {x, b.RandomConstant("w", {3, 2, 3, 3})}, {IntAttr("group", 1)});
  } else if (layer == "Gemm") {
    y = b.Node("Gemm", "layer", {x, b.RandomConstant("w", {4, 6}), b.RandomConstant("c", {4})},
               {IntAttr("transB", 1)});
  } else {
    y = b.Node("MatMul", "layer", {x, b.RandomConstant("w", {6, 4})});
  }
  std::vector<int32_t> inputs = {y};
  inputs.insert(inputs.end(), act_extra_inputs.begin(), act_extra_inputs.end());
  return b.Node(act, "act", inputs, std::move(act_attrs));
}

Shape InputShape(const std::string& layer) {
  return layer == "Conv" || layer == "ConvTranspose" ? Shape{2, 3, 6, 6} : Shape{3, 6};
}

void ExpectFused(GraphBuilder& b, const std::string& layer, const std::string& act) {
  const ir::Graph before = b.graph();
  ASSERT_TRUE(FuseActivation(&b.graph()).ok());
  const ir::Graph& g = b.graph();
  EXPECT_EQ(ir::ValidateGraph(g), "");
  ASSERT_EQ(CountNodes(g), 1);
  const ir::Node& node = g.nodes[0];
  EXPECT_EQ(node.op_type, layer);
  EXPECT_EQ(node.attrs.GetString("kinglet.activation", ""), act);
  EXPECT_EQ(g.values[node.outputs[0]].name, "act_out");
  testing::ExpectSameOutputs(before, g);
  // The marks survive the .kgl writer and reader.
  auto bytes = SerializeKgl(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto model = Model::LoadBuffer(bytes->data(), bytes->size());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  testing::ExpectSameOutputs(before, (*model)->graph());
}

TEST(FuseActivationTest, EveryLayerWithRelu) {
  for (const char* layer : {"Conv", "ConvTranspose", "Gemm", "MatMul"}) {
    SCOPED_TRACE(layer);
    GraphBuilder b;
    b.Output(LayerThen(b, layer, b.Input("x", InputShape(layer)), "Relu"));
    ExpectFused(b, layer, "Relu");
  }
}

TEST(FuseActivationTest, EveryActivation) {
  struct Case {
    const char* op;
    std::vector<ir::Attribute> attrs;
  };
  const std::vector<Case> cases = {
      {"Sigmoid", {}},
      {"Tanh", {}},
      {"LeakyRelu", {FloatAttr("alpha", 0.2f)}},
      {"HardSigmoid", {FloatAttr("alpha", 0.3f), FloatAttr("beta", 0.4f)}},
      {"HardSwish", {}},
      {"Elu", {FloatAttr("alpha", 0.7f)}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    GraphBuilder b;
    b.Output(LayerThen(b, "Conv", b.Input("x", InputShape("Conv")), c.op, {}, c.attrs));
    ExpectFused(b, "Conv", c.op);
  }
}

TEST(FuseActivationTest, ClipWithConstantBoundsAsRelu6) {
  GraphBuilder b(13);
  const int32_t lo = b.Constant("lo", Tensor::FromFloats({}, {0.0f}));
  const int32_t hi = b.Constant("hi", Tensor::FromFloats({}, {0.5f}));
  b.Output(LayerThen(b, "Gemm", b.Input("x", InputShape("Gemm")), "Clip", {lo, hi}));
  ExpectFused(b, "Gemm", "Clip");
  EXPECT_EQ(b.graph().nodes[0].attrs.GetFloat("kinglet.activation_max", 0), 0.5f);
  EXPECT_TRUE(b.graph().constants.size() == 2u);  // lo and hi are gone
}

TEST(FuseActivationTest, ClipWithOnlyAMaxAndOldOpsetAttributes) {
  {
    GraphBuilder b(13);
    const int32_t hi = b.Constant("hi", Tensor::FromFloats({}, {0.25f}));
    b.Output(LayerThen(b, "MatMul", b.Input("x", InputShape("MatMul")), "Clip", {ir::kNoValue, hi}));
    ExpectFused(b, "MatMul", "Clip");
  }
  {
    GraphBuilder b(9);
    b.Output(LayerThen(b, "Conv", b.Input("x", InputShape("Conv")), "Clip", {},
                       {FloatAttr("min", -0.1f), FloatAttr("max", 0.3f)}));
    ExpectFused(b, "Conv", "Clip");
  }
}

TEST(FuseActivationTest, LeavesWhatItCannotFuse) {
  GraphBuilder b(13);
  const int32_t x = b.Input("x", InputShape("Gemm"));
  // Clip whose bound is fed at run time.
  const int32_t hi = b.Input("hi", {});
  const int32_t clip = LayerThen(b, "Gemm", x, "Clip", {ir::kNoValue, hi});
  // A layer output with two readers.
  const int32_t fc = b.Node("Gemm", "fc2", {clip, b.RandomConstant("w2", {4, 4})}, {IntAttr("transB", 1)});
  const int32_t relu = b.Node("Relu", "relu2", {fc});
  const int32_t sum = b.Node("Add", "sum", {relu, fc});
  // An activation after something that is not a layer.
  b.Output(b.Node("Relu", "relu3", {sum}));
  // A layer output that is also a graph output.
  const int32_t fc3 = b.Node("Gemm", "fc3", {x, b.RandomConstant("w3", {4, 6})}, {IntAttr("transB", 1)});
  b.Output(fc3);
  b.Output(b.Node("Relu", "relu4", {fc3}));
  const ir::Graph before = b.graph();
  ASSERT_TRUE(FuseActivation(&b.graph()).ok());
  EXPECT_EQ(CountNodes(b.graph()), CountNodes(before));
  for (const ir::Node& node : b.graph().nodes)
    EXPECT_FALSE(node.attrs.Has("kinglet.activation")) << node.name;
  testing::ExpectSameOutputs(before, b.graph());
}

TEST(FuseActivationTest, FusedLayerIsNotFusedTwice) {
  GraphBuilder b;
  const int32_t relu = LayerThen(b, "Conv", b.Input("x", InputShape("Conv")), "Relu");
  b.Output(b.Node("Sigmoid", "sig", {relu}));
  const ir::Graph before = b.graph();
  ASSERT_TRUE(FuseActivation(&b.graph()).ok());
  ASSERT_EQ(CountNodes(b.graph()), 2);
  EXPECT_EQ(b.graph().nodes[0].attrs.GetString("kinglet.activation", ""), "Relu");
  ASSERT_TRUE(FuseActivation(&b.graph()).ok());
  EXPECT_EQ(CountNodes(b.graph()), 2);
  testing::ExpectSameOutputs(before, b.graph());
}

}  // namespace
}  // namespace kinglet::compression::passes
