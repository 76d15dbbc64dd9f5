// Glue shared by the ONNX recurrent ops (ops/lstm.cc, ops/gru.cc, ops/rnn.cc): attribute
// parsing and shape checks for what the three ops have in common. The math is in
// kernels/reference/recurrent.h.
#pragma once

#include <cstddef>

#include "kernels/reference/recurrent.h"
#include "kinglet/status.h"
#include "ops/op.h"

namespace kinglet::ops {

// What the shared glue needs to know about one op type.
struct RecurrentOpSpec {
  kernels::reference::RecurrentCell cell;
  // ONNX defaults for `activations`, one direction's worth (f, g, h as used).
  const char* const* default_activations;
  size_t activations_per_direction;
  size_t max_inputs;   // LSTM 8 (.., initial_c, P), GRU and RNN 6
  size_t max_outputs;  // LSTM 3 (.., Y_c), GRU and RNN 2
};

// Reads direction, hidden_size, activations, activation_alpha/beta, clip and layout; checks
// X, W, R, B, sequence_lens and initial_h (inputs 0..5); sets outputs Y and Y_h and requests
// scratch. Cell-specific fields of `params` (input_forget, linear_before_reset) must be set
// before the call, as they change the scratch size.
Status PrepareRecurrent(OpContext& ctx, const RecurrentOpSpec& spec,
                        kernels::reference::RecurrentParams* params);

// Checks an optional state input (initial_h, initial_c): float32, shaped like Y_h.
Status CheckRecurrentState(const TensorRef* t, const kernels::reference::RecurrentParams& params,
                           const char* what);

// Gives a wanted state output (Y_h, Y_c) its dtype and shape; nullptr (unwanted) is skipped.
void SetRecurrentStateOutput(TensorRef* out, const kernels::reference::RecurrentParams& params);

// Checks sequence_lens values and runs the kernel. For LSTM it also binds initial_c (input 6),
// P (input 7) and Y_c (output 2).
Status EvalRecurrent(OpContext& ctx, const kernels::reference::RecurrentParams& params);

}  // namespace kinglet::ops
