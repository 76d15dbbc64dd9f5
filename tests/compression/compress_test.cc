// xqueeze end to end on a real model and real data: LeNet-300-100 on Fashion-MNIST.
#include "kinglet/compression/compress.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/fashion_mnist.h"
#include "kinglet/compression/evaluate.h"
#include "kinglet/model.h"

namespace kinglet::compression {
namespace {

const std::string kLeNet300 = std::string(KINGLET_FIXTURES_DIR) + "/lenet300.onnx";

class CompressLeNet300 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::FashionMnistAvailable()) {
      GTEST_SKIP() << "Fashion-MNIST is missing: install Debian's dataset-fashion-mnist (deploy/install-deps.sh)";
    }
    std::string error;
    ASSERT_TRUE(testing::LoadFashionMnist("t10k", 1000, &x_, &y_, &error)) << error;
    Tensor unused;
    ASSERT_TRUE(testing::LoadFashionMnist("train", 1000, &calib_, &unused, &error)) << error;
  }
  Tensor x_, y_, calib_;
};

TEST_F(CompressLeNet300, ShrinksWithinTheBudgetAndTheArtifactAgrees) {
  CompressOptions options;
  options.max_drop_pp = 1.0;
  options.profile = Profile::kMid;
  auto result = Compress(kLeNet300, x_, y_, calib_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const CompressReport& r = result->report;
  EXPECT_TRUE(r.met_budget) << r.note;
  EXPECT_LE(r.drop_pp, options.max_drop_pp);
  EXPECT_GT(r.ratio(), 8.0) << "compressed " << r.compressed_bytes << " bytes";
  ASSERT_EQ(r.layers.size(), 3u);

  // The artifact, loaded by the engine, measures exactly what the report claims.
  auto model = Model::LoadBuffer(result->kgl.data(), result->kgl.size());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto eval = EvaluateTop1(*model, x_, y_);
  ASSERT_TRUE(eval.ok());
  EXPECT_DOUBLE_EQ(eval->accuracy(), r.accuracy_after);
  EXPECT_NEAR((r.accuracy_before - eval->accuracy()) * 100, r.drop_pp, 1e-9);
  size_t stored = 0;
  for (const auto& [encoding, bytes] : (*model)->Stats().bytes_by_encoding) stored += bytes;
  EXPECT_LT(stored, r.dense_kgl_bytes / 8);
}

TEST_F(CompressLeNet300, ZeroBudgetNeverExceedsIt) {
  CompressOptions options;
  options.max_drop_pp = 0.0;
  options.profile = Profile::kLow;
  auto result = Compress(kLeNet300, x_, y_, calib_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_LE(result->report.drop_pp, 0.0);
}

TEST_F(CompressLeNet300, WithoutLabelsMeasuresAgreement) {
  CompressOptions options;
  options.max_drop_pp = 1.0;
  options.profile = Profile::kLow;
  auto result = Compress(kLeNet300, x_, Tensor(), calib_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(result->report.has_labels);
  EXPECT_DOUBLE_EQ(result->report.accuracy_before, 1.0);
  EXPECT_GE(result->report.accuracy_after, 0.99);
}

TEST_F(CompressLeNet300, CancellationStopsAtTheNextStepWithNoArtifact) {
  CompressOptions options;
  options.profile = Profile::kLow;
  std::vector<std::string> stages;
  options.progress = [&](const std::string& stage, double) { stages.push_back(stage); };
  options.cancelled = [&] { return stages.size() >= 3; };
  auto result = Compress(kLeNet300, x_, y_, calib_, options);
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(stages.size(), 3u);  // nothing ran past the step that saw the cancellation
}

TEST_F(CompressLeNet300, PlainInt8PeerIsAboutFourTimesSmaller) {
  auto result = QuantizeInt8Only(kLeNet300, x_, y_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const CompressReport& r = result->report;
  EXPECT_GT(r.ratio(), 3.5);
  EXPECT_LT(r.ratio(), 4.5);
  EXPECT_LT(std::fabs(r.drop_pp), 1.0);
  for (const LayerReport& l : r.layers) EXPECT_NE(l.encoding.find("int8"), std::string::npos) << l.encoding;
  auto model = Model::LoadBuffer(result->kgl.data(), result->kgl.size());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto eval = EvaluateTop1(*model, x_, y_);
  ASSERT_TRUE(eval.ok());
  EXPECT_DOUBLE_EQ(eval->accuracy(), r.accuracy_after);
}

TEST_F(CompressLeNet300, BadDataIsAClearError) {
  CompressOptions options;
  Tensor wrong_shape(DataType::kFloat32, {10, 1, 14, 14});
  auto shape = Compress(kLeNet300, wrong_shape, Tensor(), calib_, options);
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.status().message().find("shape"), std::string::npos) << shape.status().message();

  Tensor empty(DataType::kFloat32, {0, 1, 28, 28});
  auto none = Compress(kLeNet300, empty, Tensor(), calib_, options);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("empty"), std::string::npos) << none.status().message();

  Tensor labels = y_.Clone();
  labels.data<int64_t>()[3] = 10;  // LeNet has classes 0..9
  auto range = Compress(kLeNet300, x_, labels, calib_, options);
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("label 3"), std::string::npos) << range.status().message();

  Tensor nan_input = x_.Clone();
  nan_input.data<float>()[5] = std::nanf("");
  auto nan = Compress(kLeNet300, nan_input, y_, calib_, options);
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("NaN"), std::string::npos) << nan.status().message();
}

}  // namespace
}  // namespace kinglet::compression
