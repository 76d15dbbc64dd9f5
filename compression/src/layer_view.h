// The layers xqueeze compresses: Conv / Gemm / MatMul nodes with a constant weight, each seen
// as a row-major matrix W [rows = output channels, cols = inputs feeding one output], so that
// pruning, quantization and reconstruction work on plain matrices whatever the op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::compression {

struct LayerView {
  int32_t node = -1;          // index into graph.nodes
  int32_t weight = -1;        // value index of the constant weight
  int32_t bias = ir::kNoValue;  // value index of the constant bias, if any
  int32_t input = -1;         // value index of the activation the weight multiplies
  std::string op_type;
  int64_t rows = 0;           // output channels / neurons
  int64_t cols = 0;           // weights per output (per group for grouped convs)
  int64_t group = 1;
  bool transposed = false;    // stored as [cols, rows] (Gemm transB=0, MatMul): W = stored^T
};

// Every compressible layer, in graph order. Layers whose weight is shared with another node
// are skipped (their weight cannot be rewritten for one consumer alone).
std::vector<LayerView> FindLayers(const ir::Graph& graph);

// The weight as [rows, cols] (copying and transposing as needed) and back.
std::vector<float> WeightMatrix(const ir::Graph& graph, const LayerView& layer);
void SetWeightMatrix(ir::Graph* graph, const LayerView& layer, const std::vector<float>& matrix);

}  // namespace kinglet::compression
