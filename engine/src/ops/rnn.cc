// ONNX RNN (opsets 1..17); ops/recurrent.cc holds what LSTM, GRU and RNN share.
#include "ops/recurrent.h"

namespace kinglet::ops {
namespace {

using kernels::reference::RecurrentCell;
using kernels::reference::RecurrentParams;

constexpr const char* kDefaultActivations[] = {"Tanh"};  // f
constexpr RecurrentOpSpec kRnnSpec = {RecurrentCell::kRnn, kDefaultActivations, 1,
                                      /*max_inputs=*/6, /*max_outputs=*/2};

class Rnn : public Op {
 public:
  Status Prepare(OpContext& ctx) override { return PrepareRecurrent(ctx, kRnnSpec, &params_); }
  Status Eval(OpContext& ctx) override { return EvalRecurrent(ctx, params_); }

 private:
  RecurrentParams params_;
};

}  // namespace

std::unique_ptr<Op> CreateRnn() { return std::make_unique<Rnn>(); }

}  // namespace kinglet::ops
