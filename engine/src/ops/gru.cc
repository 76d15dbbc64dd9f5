// ONNX GRU (opsets 1..17): the GRU-only parts; ops/recurrent.cc holds what LSTM, GRU and RNN
// share.
#include "ops/recurrent.h"

namespace kinglet::ops {
namespace {

using kernels::reference::RecurrentCell;
using kernels::reference::RecurrentParams;

constexpr const char* kDefaultActivations[] = {"Sigmoid", "Tanh"};  // f, g
constexpr RecurrentOpSpec kGruSpec = {RecurrentCell::kGru, kDefaultActivations, 2,
                                      /*max_inputs=*/6, /*max_outputs=*/2};

class Gru : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    // Absent before opset 3, where the default (0) is the only behaviour.
    params_.linear_before_reset = ctx.attr().GetInt("linear_before_reset", 0) != 0;
    return PrepareRecurrent(ctx, kGruSpec, &params_);
  }

  Status Eval(OpContext& ctx) override { return EvalRecurrent(ctx, params_); }

 private:
  RecurrentParams params_;
};

}  // namespace

std::unique_ptr<Op> CreateGru() { return std::make_unique<Gru>(); }

}  // namespace kinglet::ops
