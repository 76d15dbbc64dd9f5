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

// f(max(a, b)) = max(f(a), f(b)) for these (non-decreasing, NaN in NaN out), so they commute
// with a MaxPool.
bool IsNonDecreasing(const Node& act) {
  const std::string& op = act.op_type;
  if (op == "LeakyRelu") return act.attrs.GetFloat("alpha", 0.01f) >= 0.0f;
  return op == "Relu" || op == "Clip" || op == "Sigmoid" || op == "Tanh";
}

// Who reads and who writes each value of `nodes` (graph outputs count as readers).
struct Uses {
  std::vector<int> readers;
  std::vector<int32_t> producer;
};

Uses UsesOf(const Graph& graph, const std::vector<Node>& nodes) {
  const size_t value_count = graph.values.size();
  Uses u{std::vector<int>(value_count, 0), std::vector<int32_t>(value_count, -1)};
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (int32_t v : nodes[n].inputs) {
      if (v >= 0 && static_cast<size_t>(v) < value_count) ++u.readers[v];
    }
    for (int32_t v : nodes[n].outputs) {
      if (v >= 0 && static_cast<size_t>(v) < value_count) u.producer[v] = static_cast<int32_t>(n);
    }
  }
  for (int32_t v : graph.outputs) {
    if (v >= 0 && static_cast<size_t>(v) < value_count) ++u.readers[v];
  }
  return u;
}

// The node writing `v` as its only output when `v` has exactly one reader, else -1.
int32_t SoleWriter(const std::vector<Node>& nodes, const Uses& u, int32_t v) {
  if (v < 0 || static_cast<size_t>(v) >= u.producer.size() || u.producer[v] < 0 || u.readers[v] != 1)
    return -1;
  const Node& node = nodes[u.producer[v]];
  return node.outputs.size() == 1 && node.outputs[0] == v ? u.producer[v] : -1;
}

// The layer writing `v` that an activation of `v` can be folded into, or -1.
int32_t FusableWriter(const std::vector<Node>& nodes, const Uses& u, int32_t v) {
  const int32_t n = SoleWriter(nodes, u, v);
  if (n < 0) return -1;
  const Node& layer = nodes[n];
  return IsFusableLayer(layer.op_type) && !layer.attrs.Has("kinglet.activation") ? n : -1;
}

// Where the activation `act` of value x runs: the layers that take it, and the node that then
// writes the activation's output instead (the layer itself; or a MaxPool or Concat between the
// layers and the activation: max pooling commutes with a non-decreasing activation, and an
// activation of a concat is the concat of the activated inputs).
bool FusionSites(const std::vector<Node>& nodes, const Uses& u, const Node& act, std::vector<int32_t>* layers,
                 int32_t* writer) {
  layers->clear();
  const int32_t x = act.inputs[0];
  const int32_t direct = FusableWriter(nodes, u, x);
  if (direct >= 0) {
    layers->push_back(direct);
    *writer = direct;
    return true;
  }
  *writer = SoleWriter(nodes, u, x);
  if (*writer < 0) return false;
  const Node& between = nodes[*writer];
  if (between.op_type == "MaxPool" && IsNonDecreasing(act) && MaxPoolWindowsNeverEmpty(between)) {
    const int32_t layer = FusableWriter(nodes, u, between.inputs.empty() ? kNoValue : between.inputs[0]);
    if (layer < 0) return false;
    layers->push_back(layer);
    return true;
  }
  if (between.op_type == "Concat" && !between.inputs.empty()) {
    for (int32_t input : between.inputs) {
      const int32_t layer = FusableWriter(nodes, u, input);
      if (layer < 0) return false;
      layers->push_back(layer);
    }
    return true;
  }
  return false;
}

}  // namespace

bool MaxPoolWindowsNeverEmpty(const Node& pool) {
  if (pool.op_type != "MaxPool" || pool.attrs.GetInt("ceil_mode", 0) != 0) return false;
  if (pool.outputs.size() > 1 && pool.outputs[1] != kNoValue) return false;  // Indices read
  const std::vector<int64_t> kernel = pool.attrs.GetInts("kernel_shape", {});
  if (kernel.empty()) return false;
  for (int64_t d : pool.attrs.GetInts("dilations", {})) {
    if (d != 1) return false;
  }
  // SAME padding never pads a side by a whole window; explicit pads must not either.
  const std::string auto_pad = pool.attrs.GetString("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET")
    return auto_pad == "VALID" || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  const std::vector<int64_t> pads = pool.attrs.GetInts("pads", {});
  if (!pads.empty() && pads.size() != 2 * kernel.size()) return false;
  for (size_t i = 0; i < pads.size(); ++i) {
    if (pads[i] < 0 || pads[i] >= kernel[i % kernel.size()]) return false;
  }
  return true;
}

int FuseActivations(const Graph& graph, std::vector<Node>* nodes) {
  const size_t value_count = graph.values.size();
  const Uses uses = UsesOf(graph, *nodes);
  std::vector<bool> fused(nodes->size(), false);
  std::vector<Attribute> attrs;
  std::vector<int32_t> layers;
  int count = 0;
  for (size_t i = 0; i < nodes->size(); ++i) {
    const Node& act = (*nodes)[i];
    if (act.inputs.empty() || act.inputs[0] < 0 || static_cast<size_t>(act.inputs[0]) >= value_count) continue;
    int32_t writer = -1;
    if (!FusionSites(*nodes, uses, act, &layers, &writer)) continue;
    if (!ActivationAttributes(graph, act, &attrs)) continue;
    for (int32_t layer : layers) {
      for (const Attribute& a : attrs) (*nodes)[layer].attrs.Set(a);
    }
    (*nodes)[writer].outputs[0] = act.outputs[0];
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
