// One layer's compression at one setting: the statistics it is compressed against, the
// setting (sparsity, bits), and the outcome (decoded weight, bias correction, stored form).
// Shared by the search (compress.cc) and the sequential correction.
#pragma once

#include <cstdint>
#include <vector>

#include "encode/compressed_tensor.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"
#include "layer_view.h"
#include "quantize/matrix.h"

namespace kinglet::compression {

// What a layer's input looks like: H = E[x x^T] and E[x] over the calibration rows.
struct LayerStats {
  quantize::MatrixD h;
  std::vector<double> mean;
  bool reconstruct = false;  // H is available (group == 1)
};

struct LayerChoice {
  double sparsity = 0;
  int bits = 0;  // 0 = keep float32
};

// The result of compressing one layer's weight: its decoded values and how they are stored.
struct LayerOutcome {
  quantize::Matrix weight;
  std::vector<float> bias_delta;  // added to the bias (bias correction); empty if none
  CompressedTensor stored;
  Tensor dense;      // `stored` decoded: what the engine will compute with
  size_t bytes = 0;  // `stored` encoded
};

quantize::Matrix ToMatrix(const std::vector<float>& values, int64_t rows, int64_t cols);

// Quantizes one layer's pruned weight (`w` the original, `pruned` at choice.sparsity, exact
// zeros where pruned) to choice.bits, with error feedback and bias correction against `stats`
// when it has H, and lays it out for storage.
Result<LayerOutcome> CompressLayer(const ir::Graph& graph, const LayerView& layer, const LayerStats& stats,
                                   const LayerChoice& choice, const quantize::Matrix& w,
                                   const quantize::Matrix& pruned);

}  // namespace kinglet::compression
