// ONNX LSTM (opsets 1..17): the LSTM-only parts; ops/recurrent.cc holds what LSTM, GRU and
// RNN share.
#include "ops/op_util.h"
#include "ops/recurrent.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

using kernels::reference::RecurrentCell;
using kernels::reference::RecurrentParams;

constexpr const char* kDefaultActivations[] = {"Sigmoid", "Tanh", "Tanh"};  // f, g, h
constexpr RecurrentOpSpec kLstmSpec = {RecurrentCell::kLstm, kDefaultActivations, 3,
                                       /*max_inputs=*/8, /*max_outputs=*/3};

class Lstm : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    params_.input_forget = ctx.attr().GetInt("input_forget", 0) != 0;
    KINGLET_RETURN_IF_ERROR(PrepareRecurrent(ctx, kLstmSpec, &params_));
    KINGLET_RETURN_IF_ERROR(CheckRecurrentState(ctx.input(6), params_, "initial_c"));
    if (const TensorRef* p = ctx.input(7)) {
      KINGLET_RETURN_IF_ERROR(ExpectDtype(p, DataType::kFloat32, "P"));
      const Shape expected = {params_.num_directions, 3 * params_.hidden_size};
      if (p->shape != expected) {
        return InvalidArgumentError("P has shape {}; expected [num_directions, 3*hidden_size] = {}", p->shape,
                                    expected);
      }
    }
    SetRecurrentStateOutput(ctx.output(2), params_);  // Y_c
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override { return EvalRecurrent(ctx, params_); }

 private:
  RecurrentParams params_;
};

}  // namespace

std::unique_ptr<Op> CreateLstm() { return std::make_unique<Lstm>(); }

}  // namespace kinglet::ops
