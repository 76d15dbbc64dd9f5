#include "ir/activation_fusion.h"

#include <algorithm>
#include <limits>
#include <string>

namespace kinglet::ir {
namespace {

bool IsFusableLayer(const std::string& op_type) {
  return op_type == "Conv" || op_type == "ConvTranspose" || op_type == "Gemm" || op_type == "MatMul";
}

// Reads a Clip bound: absent is fine (the default), a constant float scalar is read.
bool ReadClipBound(const Graph& graph, const Node& clip, size_t slot, float* bound) {
  if (slot >= clip.inputs.size() || clip.inputs[slot] == kNoValue) return true;
  auto it = graph.constants.find(clip.inputs[slot]);
  if (it == graph.constants.end()) return false;
  const Tensor& t = it->second;
  if (t.dtype() != DataType::kFloat32 || t.element_count() != 1) return false;
  *bound = *t.data<float>();
  return true;
}

// The fused-activation attributes equivalent to `act`, or false when it cannot be fused.
bool ActivationAttributes(const Graph& graph, const Node& act, std::vector<Attribute>* attrs) {
  attrs->clear();
  if (act.outputs.size() != 1 || act.outputs[0] == kNoValue) return false;
  const std::string& op = act.op_type;
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "HardSwish") {
    if (act.inputs.size() != 1) return false;
  } else if (op == "LeakyRelu") {
    attrs->push_back(Attribute::Float("kinglet.activation_alpha", act.attrs.GetFloat("alpha", 0.01f)));
  } else if (op == "Elu") {
    attrs->push_back(Attribute::Float("kinglet.activation_alpha", act.attrs.GetFloat("alpha", 1.0f)));
  } else if (op == "HardSigmoid") {
    attrs->push_back(Attribute::Float("kinglet.activation_alpha", act.attrs.GetFloat("alpha", 0.2f)));
    attrs->push_back(Attribute::Float("kinglet.activation_beta", act.attrs.GetFloat("beta", 0.5f)));
  } else if (op == "Clip") {
    float lo = std::numeric_limits<float>::lowest();
    float hi = std::numeric_limits<float>::max();
    if (graph.opset >= 11) {
      if (act.inputs.size() > 3 || !ReadClipBound(graph, act, 1, &lo) || !ReadClipBound(graph, act, 2, &hi)) {
        return false;
      }
    } else {
      lo = act.attrs.GetFloat("min", lo);
      hi = act.attrs.GetFloat("max", hi);
    }
    attrs->push_back(Attribute::Float("kinglet.activation_min", lo));
    attrs->push_back(Attribute::Float("kinglet.activation_max", hi));
  } else {
    return false;
  }
  attrs->push_back(Attribute::String("kinglet.activation", op));
  return true;
}

}  // namespace

int FuseActivations(const Graph& graph, std::vector<Node>* nodes) {
  const size_t value_count = graph.values.size();
  std::vector<int> readers(value_count, 0);
  std::vector<int32_t> producer(value_count, -1);
  for (size_t n = 0; n < nodes->size(); ++n) {
    for (int32_t v : (*nodes)[n].inputs) {
      if (v >= 0 && static_cast<size_t>(v) < value_count) ++readers[v];
    }
    for (int32_t v : (*nodes)[n].outputs) {
      if (v >= 0 && static_cast<size_t>(v) < value_count) producer[v] = static_cast<int32_t>(n);
    }
  }
  for (int32_t v : graph.outputs) {
    if (v >= 0 && static_cast<size_t>(v) < value_count) ++readers[v];
  }

  std::vector<bool> fused(nodes->size(), false);
  std::vector<Attribute> attrs;
  int count = 0;
  for (size_t i = 0; i < nodes->size(); ++i) {
    const Node& act = (*nodes)[i];
    if (act.inputs.empty() || act.inputs[0] < 0 || static_cast<size_t>(act.inputs[0]) >= value_count) continue;
    const int32_t x = act.inputs[0];
    if (producer[x] < 0 || readers[x] != 1) continue;
    Node& layer = (*nodes)[producer[x]];
    if (!IsFusableLayer(layer.op_type) || layer.outputs.size() != 1 || layer.outputs[0] != x) continue;
    if (layer.attrs.Has("kinglet.activation")) continue;
    if (!ActivationAttributes(graph, act, &attrs)) continue;
    for (Attribute& a : attrs) layer.attrs.Set(std::move(a));
    layer.outputs[0] = act.outputs[0];
    fused[i] = true;
    ++count;
  }
  if (count == 0) return 0;
  size_t kept = 0;
  for (size_t i = 0; i < nodes->size(); ++i) {
    if (fused[i]) continue;
    if (kept != i) (*nodes)[kept] = std::move((*nodes)[i]);  // never self-move: it empties vectors
    ++kept;
  }
  nodes->resize(kept);
  return count;
}

}  // namespace kinglet::ir
