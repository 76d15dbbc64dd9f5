#include "passes/remove_identity.h"

#include <vector>

#include "passes/graph_edit.h"

namespace kinglet::compression::passes {
namespace {

// Dropout is Y = X when it is certainly not training: no training_mode input (opset < 12 or
// omitted) or a constant false one. The mask (output 1) must have no reader.
bool IsInferenceDropout(const ir::Graph& graph, const ir::Node& node, const ConsumerMap& consumers) {
  if (node.op_type != "Dropout" || node.inputs.empty() || node.outputs.empty()) return false;
  if (node.inputs.size() > 2 && node.inputs[2] != ir::kNoValue) {
    const Tensor* training = FindConstant(graph, node.inputs[2]);
    if (training == nullptr || training->dtype() != DataType::kBool || training->element_count() != 1 ||
        *training->data<uint8_t>() != 0) {
      return false;
    }
  }
  for (size_t k = 1; k < node.outputs.size(); ++k) {
    if (node.outputs[k] != ir::kNoValue && consumers.UseCount(node.outputs[k]) > 0) return false;
  }
  return true;
}

}  // namespace

Status RemoveIdentity(ir::Graph* graph) {
  const ConsumerMap consumers(*graph);
  std::vector<int32_t> producers = ProducerMap(*graph);
  // Graph-output bookkeeping changes as producers are moved, so keep our own copy.
  std::vector<char> is_output(graph->values.size(), 0);
  for (int32_t v : graph->outputs) is_output[v] = 1;

  std::vector<bool> remove(graph->nodes.size(), false);
  for (size_t n = 0; n < graph->nodes.size(); ++n) {
    const ir::Node& node = graph->nodes[n];
    const bool identity = node.op_type == "Identity" && node.inputs.size() == 1 && node.outputs.size() == 1;
    if (!identity && !IsInferenceDropout(*graph, node, consumers)) continue;
    const int32_t in = node.inputs[0];
    const int32_t out = node.outputs[0];
    if (in == ir::kNoValue) continue;
    if (out == ir::kNoValue) {
      remove[n] = true;  // nothing reads the result
      continue;
    }
    if (!is_output[out]) {
      ReplaceUses(graph, out, in);
      remove[n] = true;
      continue;
    }
    // `out` is a graph output and must keep its name: move the write of `in` onto `out`.
    const int32_t producer = producers[in];
    if (producer < 0 || is_output[in]) continue;
    for (int32_t& v : graph->nodes[producer].outputs) {
      if (v == in) v = out;
    }
    producers[out] = producer;
    producers[in] = -1;
    ReplaceUses(graph, in, out);
    remove[n] = true;
  }
  RemoveNodes(graph, remove);
  CompactValues(graph);
  return Status::Ok();
}

}  // namespace kinglet::compression::passes
