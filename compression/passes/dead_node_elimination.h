// Removes every node none of whose outputs reaches a graph output, then every constant and
// value nothing refers to any more, renumbering the surviving values densely (passes/
// graph_edit.h: CompactValues). Graph inputs always stay, even unread: callers feed them by
// name.
#pragma once

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::compression::passes {

Status EliminateDeadNodes(ir::Graph* graph);

}  // namespace kinglet::compression::passes
