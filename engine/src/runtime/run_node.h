// Runs one graph node outside any session with the engine's own op (ops::FindOp, Prepare,
// Eval): compression's constant folding computes exactly what the engine would at run time,
// and op tests drive single ops through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "ir/graph.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"

namespace kinglet::runtime {

// `inputs` has one entry per node input, nullptr for an omitted optional input; every present
// input is treated as a constant (readable in Prepare). Returns one Tensor per node output,
// default-constructed where the node's output is kNoValue (the op sees that output as absent).
//
// Errors: Unsupported when the op is not registered or when the outputs would take more than
// `max_output_bytes` in total (checked after Prepare, before anything is allocated); otherwise
// the op's own Prepare/Eval error, prefixed with the node's name.
Result<std::vector<Tensor>> RunNode(const ir::Node& node, const std::vector<const Tensor*>& inputs,
                                    int64_t opset,
                                    size_t max_output_bytes = std::numeric_limits<size_t>::max());

}  // namespace kinglet::runtime
