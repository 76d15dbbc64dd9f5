// Layer views and calibration rows: the matrices reconstruction works on must be exactly what
// the engine multiplies. Checked by recomputing real layer outputs from them.
#include "calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kinglet/compression/onnx_importer.h"
#include "kinglet/npy.h"
#include "layer_view.h"

namespace kinglet::compression {
namespace {

const std::string kFixtures = KINGLET_FIXTURES_DIR;

// For every layer: output[row p, m] == bias[m] + W[m, :] . X[p, :] on the captured activations.
void ExpectRowsReproduceOutputs(const std::string& fixture, size_t want_layers) {
  auto graph = ImportOnnxFile(kFixtures + "/" + fixture + ".onnx");
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto inputs = ReadNpy(kFixtures + "/" + fixture + ".input.npy");
  ASSERT_TRUE(inputs.ok());
  const std::vector<LayerView> layers = FindLayers(*graph);
  ASSERT_EQ(layers.size(), want_layers);
  for (const LayerView& layer : layers) {
    const ir::Node& node = graph->nodes[layer.node];
    auto captured = CaptureValues(*graph, *inputs, {layer.input, node.outputs[0]});
    ASSERT_TRUE(captured.ok()) << captured.status().ToString();
    const Tensor& out = (*captured)[1];
    const std::vector<float> w = WeightMatrix(*graph, layer);
    const float* bias = layer.bias == ir::kNoValue ? nullptr : graph->constants.at(layer.bias).data<float>();
    std::mt19937 rng(1);
    auto rows = LayerInputRows(*graph, layer, (*captured)[0], 0, int64_t{1} << 40, &rng);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    const int64_t n_rows = static_cast<int64_t>(rows->size()) / layer.cols;
    // Output element for (row p, channel m): Gemm [N, M]; Conv [N, M, positions].
    const int64_t positions = layer.op_type == "Conv" ? ElementCount(out.shape()) / (out.shape()[0] * out.shape()[1]) : 1;
    ASSERT_EQ(n_rows, out.shape()[0] * positions) << node.name;
    for (int64_t p = 0; p < n_rows; p += 7) {
      for (int64_t m = 0; m < layer.rows; m += 3) {
        double acc = bias ? bias[m] : 0.0;
        for (int64_t c = 0; c < layer.cols; ++c) acc += double(w[m * layer.cols + c]) * (*rows)[p * layer.cols + c];
        const int64_t n = p / positions, pos = p % positions;
        const float got = out.data<float>()[(n * layer.rows + m) * positions + pos];
        ASSERT_NEAR(got, acc, 1e-4 * (1 + std::fabs(acc))) << node.name << " row " << p << " channel " << m;
      }
    }
  }
}

TEST(Calibration, LeNet5RowsReproduceConvAndGemmOutputs) { ExpectRowsReproduceOutputs("lenet5", 4); }
TEST(Calibration, LeNet300RowsReproduceGemmOutputs) { ExpectRowsReproduceOutputs("lenet300", 3); }

TEST(LayerView, WeightMatrixRoundTrips) {
  auto graph = ImportOnnxFile(kFixtures + "/lenet5.onnx");
  ASSERT_TRUE(graph.ok());
  for (const LayerView& layer : FindLayers(*graph)) {
    const Tensor before = graph->constants.at(layer.weight).Clone();
    std::vector<float> m = WeightMatrix(*graph, layer);
    SetWeightMatrix(&*graph, layer, m);
    const Tensor& after = graph->constants.at(layer.weight);
    ASSERT_EQ(0, std::memcmp(before.raw_data(), after.raw_data(), before.byte_size()));
  }
}

}  // namespace
}  // namespace kinglet::compression
