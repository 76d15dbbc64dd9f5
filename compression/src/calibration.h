// Calibration: what a layer's input looks like on real data. The pipeline captures the
// activations feeding each compressible layer and turns them into rows of the layer's input
// matrix X (one row per output position), from which reconstruction builds H = X^T X.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "ir/graph.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"
#include "layer_view.h"

namespace kinglet::compression {

// Runs `graph` over the rows of `inputs` (float32 [N, ...], the graph's single input) in
// batches and returns, for each value in `values`, the activations of all N rows concatenated
// along dim 0. The graph is copied and the values made outputs; the original is untouched.
Result<std::vector<Tensor>> CaptureValues(const ir::Graph& graph, const Tensor& inputs,
                                          const std::vector<int32_t>& values);

// Rows of the input matrix of `layer` (each `layer.cols` long) for group `group_index`, taken
// from its captured input `activation`: for Gemm/MatMul the activation's rows, for Conv the
// receptive-field patches (im2col rows) at up to `max_rows` output positions sampled with `rng`.
Result<std::vector<float>> LayerInputRows(const ir::Graph& graph, const LayerView& layer, const Tensor& activation,
                                          int64_t group_index, int64_t max_rows, std::mt19937* rng);

}  // namespace kinglet::compression
