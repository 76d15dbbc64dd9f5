// The network-transform stage of xqueeze: the passes in the order that lets each one see the
// most of what the others expose.
//
//   1. remove_identity        Identity / inference Dropout gone, so producers meet consumers
//   2. constant_folding       constant subgraphs become constants (e.g. a weight reshape)
//   3. fold_batch_norm        needs 1 (BN behind an Identity) and 2 (constant statistics)
//   4. fuse_activation        after 3: a Conv+BN+Relu becomes one Conv with a fused Relu
//   5. dead_node_elimination  sweeps what the others orphaned and renumbers values
//
// In debug builds every pass is followed by ir::ValidateGraph; a failure is Internal (a pass
// bug) and names the pass.
#pragma once

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::compression::passes {

Status RunTransformPasses(ir::Graph* graph);

}  // namespace kinglet::compression::passes
