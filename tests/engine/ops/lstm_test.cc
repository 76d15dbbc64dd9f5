#include <gtest/gtest.h>

#include <cmath>

#include "ops/op.h"
#include "recurrent_reference.h"

namespace kinglet::testing {
namespace {

double Sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(LstmTest, HandComputedSingleStep) {
  // One unit, one step, zero state: i, o, f, c pre-activations are W[iofc] * x.
  auto got =
      RunOp("LSTM", Attrs({IntAttr("hidden_size", 1)}),
            {Tensor::FromFloats({1, 1, 1}, {2.0f}), Tensor::FromFloats({1, 4, 1}, {0.5f, 0.25f, -0.5f, 1.0f}),
             Tensor::FromFloats({1, 4, 1}, {0, 0, 0, 0})},
            3);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const double cell = Sig(1.0) * std::tanh(2.0);  // f * C0 vanishes
  const double h = Sig(0.5) * std::tanh(cell);
  EXPECT_NEAR(got->at(0).data<float>()[0], h, 1e-6);
  EXPECT_NEAR(got->at(1).data<float>()[0], h, 1e-6);
  EXPECT_NEAR(got->at(2).data<float>()[0], cell, 1e-6);
}

TEST(LstmTest, MatchesReferenceInEveryDirection) {
  for (const char* direction : {"forward", "reverse", "bidirectional"}) {
    RecurrentCase bare{"LSTM"};
    bare.direction = direction;
    CheckAgainstReference(bare);

    RecurrentCase full{"LSTM", /*seq_length=*/4, /*batch_size=*/3, /*input_size=*/5, /*hidden_size=*/3};
    full.direction = direction;
    full.bias = full.initial = full.peepholes = true;
    full.lens = {4, 0, 2};
    full.seed = 7;
    CheckAgainstReference(full);
  }
}

TEST(LstmTest, InputForgetClipAndCustomActivations) {
  RecurrentCase c{"LSTM", 5, 2, 2, 3};
  c.direction = "bidirectional";
  c.bias = c.initial = c.peepholes = true;
  c.clip = 0.4f;
  c.input_forget = true;
  // One direction's list serves both directions.
  c.activations = {{"HardSigmoid", 0.3f, 0.6f}, {"LeakyRelu", 0.2f}, {"Affine", 0.7f, 0.1f}};
  CheckAgainstReference(c);
}

TEST(LstmTest, BatchMajorLayoutMatchesReference) {
  RecurrentCase c{"LSTM", 3, 2, 3, 4};
  c.direction = "bidirectional";
  c.bias = c.initial = c.peepholes = true;
  c.lens = {1, 3};
  CheckAgainstReference(c, /*layout=*/1);
}

TEST(LstmTest, ComputesOnlyTheWantedOutputs) {
  // Y absent (as in ONNX's outputs ['', 'Y_h']): Prepare must leave it alone, Eval skip it.
  RecurrentCase c{"LSTM"};
  RecurrentInputs in = RandomInputs(c);
  std::vector<Tensor> inputs = CaseTensors(c, in, 0);
  ir::Attributes attrs = CaseAttrs(c, 0);
  std::vector<ops::TensorRef> refs(inputs.size());
  runtime::ThreadPool pool(1);
  ops::OpContext ctx;
  ctx.attrs = &attrs;
  ctx.pool = &pool;
  for (size_t i = 0; i < inputs.size(); ++i) {
    refs[i] = {inputs[i].dtype(), inputs[i].shape(), inputs[i].raw_data(), true};
    ctx.inputs.push_back(&refs[i]);
  }
  ops::TensorRef y_h;
  ctx.outputs = {nullptr, &y_h};
  auto op = ops::FindOp("LSTM")();
  ASSERT_TRUE(op->Prepare(ctx).ok());
  ASSERT_EQ(y_h.shape, (Shape{1, c.batch, c.hidden}));
  Tensor out(DataType::kFloat32, y_h.shape);
  Tensor scratch(DataType::kUint8, {static_cast<int64_t>(ctx.scratch_bytes)});
  y_h.data = out.raw_data();
  ctx.scratch = scratch.raw_data();
  ASSERT_TRUE(op->Eval(ctx).ok());
  ExpectNear(NaiveRecurrent(c, in).y_h, out, "Y_h");
}

TEST(LstmTest, RejectsWhatItCannotRun) {
  RecurrentCase c{"LSTM"};
  const RecurrentInputs in = RandomInputs(c);
  const std::vector<Tensor> good = CaseTensors(c, in, 0);

  ir::Attribute gelu;
  gelu.name = "activations";
  gelu.kind = ir::Attribute::Kind::kStrings;
  gelu.strings = {"Sigmoid", "Gelu", "Tanh"};
  Status s = RunCaseStatus(c, Attrs({IntAttr("hidden_size", 4), gelu}), good);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("'Gelu'"), std::string::npos) << s.message();

  std::vector<Tensor> int_x = good;
  int_x[0] = Tensor(DataType::kInt8, good[0].shape());
  EXPECT_EQ(RunCaseStatus(c, CaseAttrs(c, 0), int_x).code(), StatusCode::kUnsupported);

  std::vector<Tensor> bad_w = good;
  bad_w[1] = Tensor(DataType::kFloat32, {1, 12, c.input});  // 3*hidden rows: a GRU's W
  s = RunCaseStatus(c, CaseAttrs(c, 0), bad_w);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("W has shape [1,12,3]"), std::string::npos) << s.message();

  RecurrentCase bidir = c;
  bidir.direction = "bidirectional";  // W has one direction only
  EXPECT_EQ(RunCaseStatus(c, CaseAttrs(bidir, 0), good).code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(RunCaseStatus(c, CaseAttrs(c, 1), good, 2, /*opset=*/13).code(), StatusCode::kInvalidArgument);

  std::vector<Tensor> bad_p = good;
  bad_p.resize(8);
  bad_p[7] = Tensor(DataType::kFloat32, {1, 4 * c.hidden});
  EXPECT_EQ(RunCaseStatus(c, CaseAttrs(c, 0), bad_p).code(), StatusCode::kInvalidArgument);

  // sequence_lens values are data: checked in Eval.
  std::vector<Tensor> long_lens = good;
  long_lens.resize(5);
  long_lens[4] = Tensor(DataType::kInt32, {c.batch});
  long_lens[4].data<int32_t>()[1] = static_cast<int32_t>(c.seq + 1);
  s = RunCaseStatus(c, CaseAttrs(c, 0), long_lens);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("sequence_lens[1] is 4"), std::string::npos) << s.message();
  long_lens[4].data<int32_t>()[1] = -1;
  EXPECT_EQ(RunCaseStatus(c, CaseAttrs(c, 0), long_lens).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kinglet::testing
