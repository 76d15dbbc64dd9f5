// The whole transform stage on hand-built graphs and on the real fixtures, checked against the
// untransformed graph and against PyTorch's reference outputs.
#include "passes/pipeline.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "kinglet/compression/kgl_writer.h"
#include "kinglet/compression/onnx_importer.h"
#include "kinglet/model.h"
#include "kinglet/npy.h"
#include "pass_test_graph.h"

namespace kinglet::compression::passes {
namespace {

using testing::CountNodes;
using testing::GraphBuilder;

const std::string kFixtures = KINGLET_FIXTURES_DIR;

TEST(PipelineTest, ConvBatchNormReluThroughIdentitiesAndDropout) {
  GraphBuilder b;
  const int32_t x = b.Input("x", {2, 3, 8, 8});
  const int32_t w = b.RandomConstant("w", {4, 3, 3, 3});
  const int32_t w_copy = b.Node("Identity", "w_copy", {w});
  const int32_t conv = b.Node("Conv", "conv", {x, w_copy}, {testing::IntsAttr("pads", {1, 1, 1, 1})});
  const int32_t scale = b.RandomConstant("scale", {4}, 0.5f, 2.0f);
  // The BN's variance is computed from constants: constant folding must run before BN folding.
  const int32_t var_raw = b.RandomConstant("var_raw", {4}, 0.2f, 2.0f);
  const int32_t var = b.Node("Mul", "var", {var_raw, var_raw});
  const int32_t bn = b.Node("BatchNormalization", "bn",
                            {conv, scale, b.RandomConstant("B", {4}), b.RandomConstant("mean", {4}), var});
  const int32_t relu = b.Node("Relu", "relu", {bn});
  const int32_t drop = b.Node("Dropout", "drop", {relu});
  const int32_t pool = b.Node("GlobalAveragePool", "gap", {drop});
  const int32_t flat = b.Node("Flatten", "flat", {pool});
  const int32_t fc =
      b.Node("Gemm", "fc", {flat, b.RandomConstant("fc_w", {5, 4}), b.RandomConstant("fc_b", {5})},
             {testing::IntAttr("transB", 1)});
  const int32_t logits = b.Node("Identity", "logits", {fc});
  b.Node("Relu", "unused", {fc});
  b.Output(logits);
  const ir::Graph before = b.graph();

  ASSERT_TRUE(RunTransformPasses(&b.graph()).ok());
  const ir::Graph& g = b.graph();
  EXPECT_EQ(ir::ValidateGraph(g), "");
  // Conv(+BN+Relu) -> GlobalAveragePool -> Flatten -> Gemm.
  ASSERT_EQ(CountNodes(g), 4);
  EXPECT_EQ(g.nodes[0].op_type, "Conv");
  EXPECT_EQ(g.nodes[0].attrs.GetString("kinglet.activation", ""), "Relu");
  EXPECT_EQ(g.values[g.outputs[0]].name, "logits_out");
  EXPECT_EQ(g.constants.size(), 4u);  // conv W, conv B, fc W, fc B
  testing::ExpectSameOutputs(before, g);
}

struct FixtureCase {
  const char* name;
  int nodes_after;  // expected node count after the passes
};

class TransformFixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(TransformFixtureTest, FewerNodesSameOutputs) {
  const FixtureCase& c = GetParam();
  auto imported = ImportOnnxFile(kFixtures + "/" + c.name + ".onnx");
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  const ir::Graph before = *imported;
  ir::Graph after = *imported;
  ASSERT_TRUE(RunTransformPasses(&after).ok());
  EXPECT_EQ(ir::ValidateGraph(after), "");
  std::printf("%s: %d nodes -> %d nodes (Identity %d -> %d, fused activations %d), %zu -> %zu constants\n",
              c.name, CountNodes(before), CountNodes(after), CountNodes(before, "Identity"),
              CountNodes(after, "Identity"), CountNodes(before, "Relu") - CountNodes(after, "Relu"),
              before.constants.size(), after.constants.size());
  EXPECT_EQ(CountNodes(after), c.nodes_after);
  EXPECT_EQ(after.values[after.outputs[0]].name, "logits");
  EXPECT_EQ(after.values[after.inputs[0]].name, "input");

  // Through the .kgl writer and reader, as a compressed artifact will go.
  auto bytes = SerializeKgl(after);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto model = Model::LoadBuffer(bytes->data(), bytes->size());
  ASSERT_TRUE(model.ok()) << model.status().ToString();

  auto input = ReadNpy(kFixtures + "/" + c.name + ".input.npy");
  auto expected = ReadNpy(kFixtures + "/" + c.name + ".output.npy");
  ASSERT_TRUE(input.ok() && expected.ok());
  const std::vector<NamedTensor> feed = {{"input", *input}};
  auto original = testing::RunGraph(before, feed);
  auto transformed = testing::RunGraph((*model)->graph(), feed);
  ASSERT_TRUE(original.ok()) << original.status().ToString();
  ASSERT_TRUE(transformed.ok()) << transformed.status().ToString();
  ASSERT_EQ((*transformed)[0].tensor.shape(), expected->shape());
  const double vs_engine = testing::MaxRelativeDifference((*transformed)[0].tensor, (*original)[0].tensor);
  const double vs_pytorch = testing::MaxRelativeDifference((*transformed)[0].tensor, *expected);
  std::printf("%s: max relative difference %.3g to the untransformed graph, %.3g to PyTorch\n", c.name,
              vs_engine, vs_pytorch);
  EXPECT_LE(vs_engine, 1e-5);
  EXPECT_LE(vs_pytorch, 1e-4);  // the fixtures' own tolerance (tests/models)
}

// lenet300: Flatten, Gemm+Relu x2, Gemm. lenet5: Conv x2, MaxPool x2, Flatten, Gemm+Relu, Gemm.
// squeezenet1_1: 26 Conv+Relu, 8 Concat, 3 MaxPool, GlobalAveragePool, Flatten; 18 Identity gone.
// The RNN models have nothing to transform but must come through unchanged in behaviour.
INSTANTIATE_TEST_SUITE_P(
    Fixtures, TransformFixtureTest,
    ::testing::Values(FixtureCase{"lenet300", 4}, FixtureCase{"lenet5", 7}, FixtureCase{"squeezenet1_1", 39},
                      FixtureCase{"lstm_classifier", 8}, FixtureCase{"gru_classifier", 7}),
    [](const ::testing::TestParamInfo<FixtureCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace kinglet::compression::passes
