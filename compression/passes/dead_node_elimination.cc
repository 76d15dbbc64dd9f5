#include "passes/dead_node_elimination.h"

#include <vector>

#include "passes/graph_edit.h"

namespace kinglet::compression::passes {

Status EliminateDeadNodes(ir::Graph* graph) {
  // Nodes are topologically ordered, so one backward sweep sees every reader of a value
  // before its producer.
  std::vector<char> live(graph->values.size(), 0);
  for (int32_t v : graph->outputs) {
    if (v >= 0 && static_cast<size_t>(v) < live.size()) live[v] = 1;
  }
  std::vector<bool> remove(graph->nodes.size(), false);
  for (size_t i = graph->nodes.size(); i-- > 0;) {
    const ir::Node& node = graph->nodes[i];
    bool needed = false;
    for (int32_t v : node.outputs) needed = needed || (v != ir::kNoValue && live[v]);
    if (!needed) {
      remove[i] = true;
      continue;
    }
    for (int32_t v : node.inputs) {
      if (v != ir::kNoValue) live[v] = 1;
    }
  }
  RemoveNodes(graph, remove);
  CompactValues(graph);
  return Status::Ok();
}

}  // namespace kinglet::compression::passes
