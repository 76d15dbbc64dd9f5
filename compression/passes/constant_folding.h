// Evaluates, at compile time, every node whose inputs are all constants, with the engine's own
// op (passes/run_node.h); its outputs become constants and the node goes away.
//
// Nodes are visited in topological order, so a folded output is already a constant when its
// readers are visited and one sweep reaches the fixed point. A node is left alone when the
// engine does not register its op, when evaluating it fails (the session will report the same
// error, with its context, when the model runs), or when its outputs would exceed
// `max_output_bytes`: folding e.g. a broadcast into a huge tensor would bloat the artifact.
//
// A folded output that is a graph output keeps its name: it is written by an Identity of the
// new constant, since graph outputs must be produced by nodes (as the ONNX importer does).
#pragma once

#include <cstddef>

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::compression::passes {

constexpr size_t kDefaultMaxFoldedBytes = size_t{16} << 20;

Status FoldConstants(ir::Graph* graph, size_t max_output_bytes = kDefaultMaxFoldedBytes);

}  // namespace kinglet::compression::passes
