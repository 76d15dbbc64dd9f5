// Real models, real data: the engine against PyTorch on the fixtures tools/make_fixtures.py
// exported (LeNet-300-100, LeNet-5, SqueezeNet 1.1, LSTM and GRU classifiers), and the LeNets'
// accuracy on the whole Fashion-MNIST test set read from Debian's dataset-fashion-mnist.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "common/fashion_mnist.h"
#include "kinglet/compression/evaluate.h"
#include "kinglet/compression/kgl_writer.h"
#include "kinglet/compression/onnx_importer.h"
#include "kinglet/model.h"
#include "kinglet/npy.h"
#include "kinglet/session.h"

namespace kinglet {
namespace {

const std::string kFixtures = KINGLET_FIXTURES_DIR;

// ONNX -> .kgl bytes -> Model, exactly the path `kinglet convert` + an app take.
std::shared_ptr<const Model> LoadFixture(const std::string& name) {
  auto graph = compression::ImportOnnxFile(kFixtures + "/" + name + ".onnx");
  EXPECT_TRUE(graph.ok()) << graph.status().ToString();
  if (!graph.ok()) return nullptr;
  auto bytes = compression::SerializeKgl(*graph);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return nullptr;
  auto model = Model::LoadBuffer(bytes->data(), bytes->size());
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

class FixtureMatchesPyTorch : public ::testing::TestWithParam<const char*> {};

TEST_P(FixtureMatchesPyTorch, WithinOneInTenThousand) {
  const std::string name = GetParam();
  auto model = LoadFixture(name);
  ASSERT_NE(model, nullptr);
  auto input = ReadNpy(kFixtures + "/" + name + ".input.npy");
  auto expected = ReadNpy(kFixtures + "/" + name + ".output.npy");
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  // One thread, then three (an uneven split of every GEMM and pool across the workers).
  for (int threads : {1, 3}) {
    SessionOptions options;
    options.threads = threads;
    auto session = Session::Create(model, options);
    ASSERT_TRUE(session.ok());
    std::vector<NamedTensor> outputs;
    Status s = (*session)->Run({{model->inputs()[0].name, *input}}, &outputs);
    ASSERT_TRUE(s.ok()) << s.ToString();
    const Tensor& got = outputs[0].tensor;
    ASSERT_EQ(got.shape(), expected->shape());
    // 1e-4 relative to the output's scale: elementwise relative error is meaningless for
    // outputs that cross zero, so the reference magnitude is the largest |logit| of the row.
    const int64_t rows = got.shape()[0];
    const int64_t cols = got.element_count() / rows;
    double worst = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* g = got.data<float>() + r * cols;
      const float* e = expected->data<float>() + r * cols;
      double scale = 0;
      for (int64_t c = 0; c < cols; ++c) scale = std::max(scale, std::fabs(double(e[c])));
      for (int64_t c = 0; c < cols; ++c) {
        const double rel = std::fabs(double(g[c]) - e[c]) / std::max(scale, 1e-6);
        worst = std::max(worst, rel);
        ASSERT_LE(rel, 1e-4) << name << " threads " << threads << " row " << r << " col " << c << ": engine "
                             << g[c] << " vs PyTorch " << e[c];
      }
    }
    std::printf("%s, %d thread(s): worst relative difference to PyTorch %.3g\n", name.c_str(), threads,
                worst);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureMatchesPyTorch,
                         ::testing::Values("lenet300", "lenet5", "squeezenet1_1", "lstm_classifier",
                                           "gru_classifier", "firenet"));

// Correct-prediction count PyTorch recorded for `model` in fashion_mnist_accuracy.json.
int64_t PyTorchCorrect(const std::string& model) {
  std::ifstream f(kFixtures + "/fashion_mnist_accuracy.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string json = ss.str();
  std::smatch m;
  const std::regex re("\"" + model + "\"\\s*:\\s*\\{[^}]*\"correct\"\\s*:\\s*(\\d+)");
  return std::regex_search(json, m, re) ? std::stoll(m[1]) : -1;
}

class FashionMnistAccuracy : public ::testing::TestWithParam<const char*> {};

TEST_P(FashionMnistAccuracy, EqualsPyTorchToOneHundredthOfAPoint) {
  if (!testing::FashionMnistAvailable()) {
    GTEST_SKIP()
        << "Fashion-MNIST is missing: install Debian's dataset-fashion-mnist (deploy/install-deps.sh)";
  }
  const std::string name = GetParam();
  Tensor images, labels;
  std::string error;
  ASSERT_TRUE(testing::LoadFashionMnist("t10k", 10000, &images, &labels, &error)) << error;
  auto model = LoadFixture(name);
  ASSERT_NE(model, nullptr);
  auto result = compression::EvaluateTop1(model, images, labels);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const int64_t want = PyTorchCorrect(name);
  ASSERT_GT(want, 0) << "no correct count for " << name << " in fashion_mnist_accuracy.json";
  std::printf("%s: engine %lld / 10000 correct (%.2f%%), PyTorch %lld\n", name.c_str(),
              static_cast<long long>(result->correct), 100.0 * result->accuracy(),
              static_cast<long long>(want));
  // 0.01 pp of 10,000 images is one image.
  EXPECT_LE(std::llabs(result->correct - want), 1);
}

INSTANTIATE_TEST_SUITE_P(FashionMnist, FashionMnistAccuracy,
                         ::testing::Values("lenet300", "lenet5", "firenet"));

}  // namespace
}  // namespace kinglet
