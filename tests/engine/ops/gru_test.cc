#include <gtest/gtest.h>

#include <cmath>

#include "recurrent_reference.h"

namespace kinglet::testing {
namespace {

double Sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(GruTest, HandComputedSingleStep) {
  // One unit, one step, h0 = 0.5. W = (z 1, r -1, h 0.5), R = (0, 0, 2), x = 1.
  for (int64_t lbr : {0, 1}) {
    auto got =
        RunOp("GRU", Attrs({IntAttr("hidden_size", 1), IntAttr("linear_before_reset", lbr)}),
              {Tensor::FromFloats({1, 1, 1}, {1.0f}), Tensor::FromFloats({1, 3, 1}, {1.0f, -1.0f, 0.5f}),
               Tensor::FromFloats({1, 3, 1}, {0.0f, 0.0f, 2.0f}), Tensor(), Tensor(),
               Tensor::FromFloats({1, 1, 1}, {0.5f})},
              2);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const double z = Sig(1.0), r = Sig(-1.0);
    // Without biases both forms agree: r * (2 * h0) == 2 * (r * h0).
    const double candidate = std::tanh(0.5 + r * 2.0 * 0.5);
    const double h = (1 - z) * candidate + z * 0.5;
    EXPECT_NEAR(got->at(0).data<float>()[0], h, 1e-6);
    EXPECT_NEAR(got->at(1).data<float>()[0], h, 1e-6);
  }
}

TEST(GruTest, MatchesReferenceInEveryDirection) {
  for (const char* direction : {"forward", "reverse", "bidirectional"}) {
    for (bool lbr : {false, true}) {
      RecurrentCase bare{"GRU"};
      bare.direction = direction;
      bare.linear_before_reset = lbr;
      CheckAgainstReference(bare);

      RecurrentCase full{"GRU", 4, 3, 5, 3};
      full.direction = direction;
      full.linear_before_reset = lbr;  // Rbh placement differs between the two forms
      full.bias = full.initial = true;
      full.lens = {2, 4, 0};
      full.seed = 11;
      CheckAgainstReference(full);
    }
  }
}

TEST(GruTest, ClipAndPerDirectionActivations) {
  RecurrentCase c{"GRU", 3, 2, 2, 3};
  c.direction = "bidirectional";
  c.bias = c.initial = true;
  c.clip = 0.3f;
  c.activations = {{"Sigmoid"}, {"Tanh"}, {"HardSigmoid", 0.25f, 0.4f}, {"Relu"}};
  CheckAgainstReference(c);
}

TEST(GruTest, BatchMajorLayoutMatchesReference) {
  RecurrentCase c{"GRU", 3, 2, 3, 4};
  c.direction = "reverse";
  c.bias = c.initial = true;
  c.lens = {2, 3};
  CheckAgainstReference(c, /*layout=*/1);
}

TEST(GruTest, RejectsWhatItCannotRun) {
  RecurrentCase c{"GRU"};
  const std::vector<Tensor> good = CaseTensors(c, RandomInputs(c), 0);
  // No Y_c for GRU.
  EXPECT_EQ(RunCaseStatus(c, CaseAttrs(c, 0), good, 3).code(), StatusCode::kInvalidArgument);

  RecurrentCase three = c;
  three.activations = {{"Sigmoid"}, {"Tanh"}, {"Tanh"}};
  Status s = RunCaseStatus(c, CaseAttrs(three, 0), good);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("activations"), std::string::npos) << s.message();

  std::vector<Tensor> bad_b = good;
  bad_b.resize(4);
  bad_b[3] = Tensor(DataType::kFloat32, {1, 3 * c.hidden});  // Wb only
  EXPECT_EQ(RunCaseStatus(c, CaseAttrs(c, 0), bad_b).code(), StatusCode::kInvalidArgument);

  std::vector<Tensor> bad_h = good;
  bad_h.resize(6);
  bad_h[5] = Tensor(DataType::kFloat32, {1, c.batch + 1, c.hidden});
  EXPECT_EQ(RunCaseStatus(c, CaseAttrs(c, 0), bad_h).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kinglet::testing
