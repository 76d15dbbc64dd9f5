#include "passes/fuse_activation.h"

#include <limits>
#include <string>
#include <vector>

#include "passes/graph_edit.h"

namespace kinglet::compression::passes {
namespace {

bool IsFusableLayer(const std::string& op_type) {
  return op_type == "Conv" || op_type == "ConvTranspose" || op_type == "Gemm" || op_type == "MatMul";
}

// Reads a Clip bound: absent is fine (the default), a constant float scalar is read.
bool ReadClipBound(const ir::Graph& graph, const ir::Node& clip, size_t slot, float* bound) {
  if (slot >= clip.inputs.size() || clip.inputs[slot] == ir::kNoValue) return true;
  const Tensor* t = FindConstant(graph, clip.inputs[slot]);
  if (t == nullptr || t->dtype() != DataType::kFloat32 || t->element_count() != 1) return false;
  *bound = *t->data<float>();
  return true;
}

// The fused-activation attributes equivalent to `act`, or false when it cannot be fused.
bool ActivationAttributes(const ir::Graph& graph, const ir::Node& act, std::vector<ir::Attribute>* attrs) {
  attrs->clear();
  if (act.outputs.size() != 1 || act.outputs[0] == ir::kNoValue) return false;
  const std::string& op = act.op_type;
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "HardSwish") {
    if (act.inputs.size() != 1) return false;
  } else if (op == "LeakyRelu") {
    attrs->push_back(ir::Attribute::Float("kinglet.activation_alpha", act.attrs.GetFloat("alpha", 0.01f)));
  } else if (op == "Elu") {
    attrs->push_back(ir::Attribute::Float("kinglet.activation_alpha", act.attrs.GetFloat("alpha", 1.0f)));
  } else if (op == "HardSigmoid") {
    attrs->push_back(ir::Attribute::Float("kinglet.activation_alpha", act.attrs.GetFloat("alpha", 0.2f)));
    attrs->push_back(ir::Attribute::Float("kinglet.activation_beta", act.attrs.GetFloat("beta", 0.5f)));
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
    attrs->push_back(ir::Attribute::Float("kinglet.activation_min", lo));
    attrs->push_back(ir::Attribute::Float("kinglet.activation_max", hi));
  } else {
    return false;
  }
  attrs->push_back(ir::Attribute::String("kinglet.activation", op));
  return true;
}

}  // namespace

Status FuseActivation(ir::Graph* graph) {
  const ConsumerMap consumers(*graph);
  const std::vector<int32_t> producers = ProducerMap(*graph);
  std::vector<bool> remove(graph->nodes.size(), false);
  std::vector<ir::Attribute> attrs;
  bool changed = false;
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    const ir::Node& act = graph->nodes[i];
    if (act.inputs.empty() || act.inputs[0] == ir::kNoValue) continue;
    const int32_t x = act.inputs[0];
    if (producers[x] < 0 || !consumers.HasSingleNodeUse(x)) continue;
    ir::Node& layer = graph->nodes[producers[x]];
    if (!IsFusableLayer(layer.op_type) || layer.outputs.size() != 1 || layer.outputs[0] != x) continue;
    if (layer.attrs.Has("kinglet.activation")) continue;
    if (!ActivationAttributes(*graph, act, &attrs)) continue;
    for (ir::Attribute& a : attrs) layer.attrs.Set(std::move(a));
    layer.outputs[0] = act.outputs[0];
    remove[i] = true;
    changed = true;
  }
  if (!changed) return Status::Ok();
  RemoveNodes(graph, remove);
  CompactValues(graph);
  return Status::Ok();
}

}  // namespace kinglet::compression::passes
