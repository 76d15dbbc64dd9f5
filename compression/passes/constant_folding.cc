#include "passes/constant_folding.h"

#include <utility>
#include <vector>

#include "runtime/run_node.h"
#include "passes/graph_edit.h"

namespace kinglet::compression::passes {
namespace {

bool AllInputsConstant(const ir::Graph& graph, const ir::Node& node, std::vector<const Tensor*>* tensors) {
  tensors->clear();
  bool any_present = false;
  for (int32_t v : node.inputs) {
    if (v == ir::kNoValue) {
      tensors->push_back(nullptr);
      continue;
    }
    const Tensor* t = FindConstant(graph, v);
    if (t == nullptr) return false;
    tensors->push_back(t);
    any_present = true;
  }
  return any_present;
}

}  // namespace

Status FoldConstants(ir::Graph* graph, size_t max_output_bytes) {
  std::vector<char> is_output(graph->values.size(), 0);
  for (int32_t v : graph->outputs) is_output[v] = 1;

  std::vector<ir::Node> kept;
  kept.reserve(graph->nodes.size());
  std::vector<const Tensor*> inputs;
  bool changed = false;
  for (ir::Node& node : graph->nodes) {
    // An Identity of a constant writing a graph output is already the canonical form.
    const bool canonical_output = node.op_type == "Identity" && node.outputs.size() == 1 &&
                                  node.outputs[0] != ir::kNoValue && is_output[node.outputs[0]];
    if (canonical_output || !AllInputsConstant(*graph, node, &inputs)) {
      kept.push_back(std::move(node));
      continue;
    }
    Result<std::vector<Tensor>> outputs = runtime::RunNode(node, inputs, graph->opset, max_output_bytes);
    if (!outputs.ok()) {
      kept.push_back(std::move(node));
      continue;
    }
    changed = true;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      const int32_t v = node.outputs[k];
      if (v == ir::kNoValue) continue;
      Tensor& tensor = (*outputs)[k];
      if (!is_output[v]) {
        SetConstant(graph, v, std::move(tensor));
        continue;
      }
      const int32_t constant = AddConstant(graph, graph->values[v].name + "/constant", std::move(tensor));
      is_output.push_back(0);
      graph->values[v].dtype = graph->values[constant].dtype;
      graph->values[v].shape = graph->values[constant].shape;
      graph->values[v].shape_known = true;
      ReplaceUses(graph, v, constant);  // later readers (not yet visited) see the constant
      ir::Node identity;
      identity.name = node.name + (node.outputs.size() > 1 ? "/identity_" + std::to_string(k) : "/identity");
      identity.op_type = "Identity";
      identity.inputs = {constant};
      identity.outputs = {v};
      kept.push_back(std::move(identity));
    }
  }
  graph->nodes = std::move(kept);
  if (changed) CompactValues(graph);
  return Status::Ok();
}

}  // namespace kinglet::compression::passes
