// The sequential correction on a real model (LeNet-5: convolutions and fully connected layers)
// and real data: every layer compressed against the uncompressed activations, then corrected
// for what the compressed layers upstream really feed it.
#include "sequential_correction.h"

#include <gtest/gtest.h>

#include <random>

#include "calibration.h"
#include "common/fashion_mnist.h"
#include "kinglet/compression/onnx_importer.h"
#include "kinglet/model.h"
#include "kinglet/session.h"
#include "passes/pipeline.h"
#include "quantize/hessian.h"
#include "quantize/sparsegpt.h"

namespace kinglet::compression {
namespace {

namespace q = quantize;

// Logits of `graph` on `x`, one row per image.
std::vector<float> Logits(const ir::Graph& graph, const Tensor& x) {
  auto model = Model::FromGraph(graph);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  auto session = Session::Create(*model);
  EXPECT_TRUE(session.ok());
  std::vector<NamedTensor> out;
  EXPECT_TRUE((*session)->Run({{graph.values[graph.inputs[0]].name, x}}, &out).ok());
  const Tensor& t = out[0].tensor;
  return std::vector<float>(t.data<float>(), t.data<float>() + t.element_count());
}

double MeanSquaredDifference(const std::vector<float>& a, const std::vector<float>& b) {
  double total = 0;
  for (size_t i = 0; i < a.size(); ++i) total += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return total / a.size();
}

TEST(SequentialCorrection, CompressedLeNet5MovesLessFromTheOriginal) {
  if (!testing::FashionMnistAvailable()) {
    GTEST_SKIP()
        << "Fashion-MNIST is missing: install Debian's dataset-fashion-mnist (deploy/install-deps.sh)";
  }
  std::string error;
  Tensor calib, held_out, unused;
  ASSERT_TRUE(testing::LoadFashionMnist("train", 1024, &calib, &unused, &error)) << error;
  ASSERT_TRUE(testing::LoadFashionMnist("t10k", 500, &held_out, &unused, &error)) << error;
  auto imported = ImportOnnxFile(std::string(KINGLET_FIXTURES_DIR) + "/lenet5.onnx");
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  ir::Graph base = std::move(*imported);
  ASSERT_TRUE(passes::RunTransformPasses(&base).ok());
  const std::vector<LayerView> layers = FindLayers(base);
  ASSERT_EQ(layers.size(), 4u);

  // Every layer 80% sparse (SparseGPT) and 3-bit, against the uncompressed model's activations.
  std::vector<LayerChoice> choices(layers.size(), LayerChoice{0.8, 3});
  ir::Graph compressed = base;
  std::map<int32_t, CompressedTensor> stored;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerView& l = layers[i];
    auto captured = CaptureValues(base, calib, {l.input});
    ASSERT_TRUE(captured.ok());
    std::mt19937 rng(1);
    auto rows = LayerInputRows(base, l, (*captured)[0], 0, 8192, &rng);
    ASSERT_TRUE(rows.ok());
    q::HessianAccumulator acc(l.cols);
    ASSERT_TRUE(acc.AddRows(ToMatrix(*rows, static_cast<int64_t>(rows->size()) / l.cols, l.cols)).ok());
    const LayerStats stats{acc.Hessian(), acc.Mean(), true};
    const q::Matrix w = ToMatrix(WeightMatrix(base, l), l.rows, l.cols);
    auto pruned = q::SparseGptPrune(w, stats.h, choices[i].sparsity);
    ASSERT_TRUE(pruned.ok());
    auto out = CompressLayer(base, l, stats, choices[i], w, *pruned);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    compressed.constants[l.weight] = DecodeToDense(out->stored);
    Tensor bias = base.constants.at(l.bias).Clone();
    for (int64_t r = 0; r < l.rows; ++r) bias.data<float>()[r] += out->bias_delta[r];
    compressed.constants[l.bias] = bias;
    stored[l.weight] = out->stored;
  }

  SequentialCorrector corrector(base, layers, calib);
  ir::Graph corrected = compressed;
  std::map<int32_t, CompressedTensor> corrected_stored = stored;
  ASSERT_TRUE(corrector.Apply(choices, &corrected, &corrected_stored).ok());

  const std::vector<float> original = Logits(base, held_out);
  const double before = MeanSquaredDifference(original, Logits(compressed, held_out));
  const double after = MeanSquaredDifference(original, Logits(corrected, held_out));
  std::printf(
      "[ measured ] LeNet-5 80%% sparse 3-bit, held-out logit MSE: %.4f uncorrected, %.4f corrected\n",
      before, after);
  EXPECT_LT(after, 0.8 * before);

  for (const LayerView& l : layers) {
    const CompressedTensor& a = stored.at(l.weight);
    const CompressedTensor& b = corrected_stored.at(l.weight);
    EXPECT_EQ(a.positions, b.positions) << "the search's mask is kept";
    EXPECT_EQ(b.codebook.bits, 3);
    const Tensor decoded = DecodeToDense(b);
    const Tensor& in_graph = corrected.constants.at(l.weight);
    ASSERT_EQ(decoded.element_count(), in_graph.element_count());
    for (int64_t k = 0; k < decoded.element_count(); ++k) {
      ASSERT_EQ(decoded.data<float>()[k], in_graph.data<float>()[k]) << "the graph computes what is stored";
    }
  }

  // The same choices again come from the cache, identical.
  ir::Graph again = compressed;
  std::map<int32_t, CompressedTensor> again_stored = stored;
  ASSERT_TRUE(corrector.Apply(choices, &again, &again_stored).ok());
  EXPECT_EQ(Logits(again, held_out), Logits(corrected, held_out));
}

}  // namespace
}  // namespace kinglet::compression
