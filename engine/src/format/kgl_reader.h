// Parses a .kgl container into the graph IR, checking every offset, count, length and shape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::format {

// `data` must be kPayloadAlignment-aligned and outlive the returned graph: dense constants are
// views into it (no copy); compressed constants are decoded into tensors the graph owns
// (graph->constant_storage keeps their stored size and encoding name). Any malformed input gives
// Corruption (or Unsupported for a newer format version / unknown encoding), never a crash; the
// only allocations beyond the file's size are decoded constants, each bounded by its payload
// (format::MaxDecodedElements).
Result<std::unique_ptr<ir::Graph>> ReadKgl(const uint8_t* data, size_t size);

}  // namespace kinglet::format
