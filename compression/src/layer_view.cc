#include "layer_view.h"

#include <map>

namespace kinglet::compression {

std::vector<LayerView> FindLayers(const ir::Graph& graph) {
  std::map<int32_t, int> uses;
  for (const ir::Node& node : graph.nodes) {
    for (int32_t v : node.inputs) ++uses[v];
  }
  std::vector<LayerView> layers;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    if (node.inputs.size() < 2 || node.inputs[1] == ir::kNoValue) continue;
    const auto w = graph.constants.find(node.inputs[1]);
    if (w == graph.constants.end() || w->second.dtype() != DataType::kFloat32) continue;
    if (uses[node.inputs[1]] != 1) continue;
    const Shape& shape = w->second.shape();
    LayerView layer;
    layer.node = static_cast<int32_t>(i);
    layer.weight = node.inputs[1];
    layer.input = node.inputs[0];
    layer.op_type = node.op_type;
    if (node.op_type == "Conv" && shape.size() >= 3) {
      layer.rows = shape[0];
      layer.cols = ElementCount(shape) / shape[0];
      layer.group = node.attrs.GetInt("group", 1);
    } else if (node.op_type == "Gemm" && shape.size() == 2 && node.attrs.GetInt("transA", 0) == 0) {
      layer.transposed = node.attrs.GetInt("transB", 0) == 0;
      layer.rows = layer.transposed ? shape[1] : shape[0];
      layer.cols = layer.transposed ? shape[0] : shape[1];
    } else if (node.op_type == "MatMul" && shape.size() == 2) {
      layer.transposed = true;
      layer.rows = shape[1];
      layer.cols = shape[0];
    } else {
      continue;
    }
    if (node.inputs.size() > 2 && node.inputs[2] != ir::kNoValue && graph.constants.count(node.inputs[2]) &&
        uses[node.inputs[2]] == 1) {
      const Tensor& b = graph.constants.at(node.inputs[2]);
      if (b.dtype() == DataType::kFloat32 && b.element_count() == layer.rows) layer.bias = node.inputs[2];
    }
    layers.push_back(layer);
  }
  return layers;
}

std::vector<float> WeightMatrix(const ir::Graph& graph, const LayerView& layer) {
  const float* w = graph.constants.at(layer.weight).data<float>();
  std::vector<float> m(static_cast<size_t>(layer.rows * layer.cols));
  for (int64_t r = 0; r < layer.rows; ++r) {
    for (int64_t c = 0; c < layer.cols; ++c) {
      m[r * layer.cols + c] = layer.transposed ? w[c * layer.rows + r] : w[r * layer.cols + c];
    }
  }
  return m;
}

void SetWeightMatrix(ir::Graph* graph, const LayerView& layer, const std::vector<float>& matrix) {
  Tensor& t = graph->constants.at(layer.weight);
  Tensor fresh(t.dtype(), t.shape());  // never write through a view of the artifact bytes
  float* w = fresh.data<float>();
  for (int64_t r = 0; r < layer.rows; ++r) {
    for (int64_t c = 0; c < layer.cols; ++c) {
      (layer.transposed ? w[c * layer.rows + r] : w[r * layer.cols + c]) = matrix[r * layer.cols + c];
    }
  }
  t = fresh;
}

}  // namespace kinglet::compression
