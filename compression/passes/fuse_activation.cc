#include "passes/fuse_activation.h"

#include "ir/activation_fusion.h"
#include "passes/graph_edit.h"

namespace kinglet::compression::passes {

Status FuseActivation(ir::Graph* graph) {
  // The engine's own load-time fusion, applied to the graph that will be written.
  if (ir::FuseActivations(*graph, &graph->nodes) == 0) return Status::Ok();
  CompactValues(graph);
  return Status::Ok();
}

}  // namespace kinglet::compression::passes
