#include <gtest/gtest.h>

#include <cmath>

#include "recurrent_reference.h"

namespace kinglet::testing {
namespace {

TEST(RnnTest, HandComputedTwoSteps) {
  // One unit: h1 = tanh(0.5*1 + 0.1), h2 = tanh(0.5*(-2) + 0.8*h1 + 0.1); Wb 0.3, Rb -0.2.
  auto got = RunOp("RNN", Attrs({IntAttr("hidden_size", 1)}),
                   {Tensor::FromFloats({2, 1, 1}, {1.0f, -2.0f}), Tensor::FromFloats({1, 1, 1}, {0.5f}),
                    Tensor::FromFloats({1, 1, 1}, {0.8f}), Tensor::FromFloats({1, 2}, {0.3f, -0.2f})},
                   2);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const double h1 = std::tanh(0.6), h2 = std::tanh(-0.9 + 0.8 * h1);
  EXPECT_NEAR(got->at(0).data<float>()[0], h1, 1e-6);
  EXPECT_NEAR(got->at(0).data<float>()[1], h2, 1e-6);
  EXPECT_NEAR(got->at(1).data<float>()[0], h2, 1e-6);
}

TEST(RnnTest, MatchesReferenceInEveryDirection) {
  for (const char* direction : {"forward", "reverse", "bidirectional"}) {
    RecurrentCase bare{"RNN"};
    bare.direction = direction;
    CheckAgainstReference(bare);

    RecurrentCase full{"RNN", 5, 3, 2, 4};
    full.direction = direction;
    full.bias = full.initial = true;
    full.lens = {0, 5, 3};
    full.activations = {{"Relu"}};
    full.seed = 3;
    CheckAgainstReference(full);
  }
}

TEST(RnnTest, BatchMajorLayoutMatchesReference) {
  RecurrentCase c{"RNN", 4, 3, 2, 5};
  c.direction = "bidirectional";
  c.bias = c.initial = true;
  c.clip = 0.5f;
  c.activations = {{"LeakyRelu", 0.1f}, {"Tanh"}};
  c.lens = {4, 1, 2};
  CheckAgainstReference(c, /*layout=*/1);
}

TEST(RnnTest, RejectsWhatItCannotRun) {
  RecurrentCase c{"RNN"};
  const std::vector<Tensor> good = CaseTensors(c, RandomInputs(c), 0);

  std::vector<Tensor> int64_lens = good;
  int64_lens.resize(5);
  int64_lens[4] = Tensor(DataType::kInt64, {c.batch});
  Status s = RunCaseStatus(c, CaseAttrs(c, 0), int64_lens);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("sequence_lens"), std::string::npos) << s.message();

  ir::Attribute elu_typo;
  elu_typo.name = "activations";
  elu_typo.kind = ir::Attribute::Kind::kStrings;
  elu_typo.strings = {"Eluu"};
  s = RunCaseStatus(c, Attrs({IntAttr("hidden_size", 4), elu_typo}), good);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("'Eluu'"), std::string::npos) << s.message();

  EXPECT_EQ(
      RunCaseStatus(c, Attrs({IntAttr("hidden_size", 4), StringAttr("direction", "sideways")}), good).code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(RunCaseStatus(c, Attrs({IntAttr("hidden_size", 5)}), good).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kinglet::testing
