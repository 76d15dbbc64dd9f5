// Top-1 evaluation with the engine: the measurement behind `kinglet eval` and the accuracy guard.
#pragma once

#include <cstdint>
#include <vector>

#include "kinglet/model.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"

namespace kinglet::compression {

struct EvalResult {
  int64_t examples = 0;
  int64_t correct = 0;
  int64_t classes = 0;  // width of the first output
  double accuracy() const { return examples ? static_cast<double>(correct) / examples : 0.0; }
  std::vector<int64_t> predictions;  // argmax of the first output, one per row
  std::vector<float> scores;         // the first output, [examples, classes] row-major
};

// Runs every row of `inputs` ([N, ...] float32, the model's first input without its batch dim
// or with batch 1) through `model` and compares the argmax of the first output with `labels`
// (int32/int64 [N], each in [0, classes)). Batches rows when the model's batch dim is free;
// `threads` workers (0 = one per hardware thread) each run a contiguous share of the rows.
// Errors: shape mismatch, empty set, labels out of range — each with a message naming it.
Result<EvalResult> EvaluateTop1(const std::shared_ptr<const Model>& model, const Tensor& inputs,
                                const Tensor& labels, int threads = 1);

// Same without labels: only predictions are filled (agreement checks compare two of these).
Result<EvalResult> Predict(const std::shared_ptr<const Model>& model, const Tensor& inputs, int threads = 1);

}  // namespace kinglet::compression
