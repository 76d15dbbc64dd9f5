// Removes Identity nodes and inference-mode Dropout nodes (their mask output unused) by
// rewiring their readers to the input value.
//
// Graph output names are a public contract, so when the removed node writes a graph output,
// the node producing its input is made to write the graph-output value instead. When that is
// impossible (the input is a graph input, a constant, or itself a graph output, as in the
// Identity the ONNX importer adds in front of a constant graph output) the node stays.
#pragma once

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::compression::passes {

Status RemoveIdentity(ir::Graph* graph);

}  // namespace kinglet::compression::passes
