// Parses a .kgl container into the graph IR, checking every offset, count, length and shape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::format {

// `data` must be kPayloadAlignment-aligned and outlive the returned graph: dense constants are
// views into it (no copy). Any malformed input gives Corruption (or Unsupported for a newer
// format version / unknown encoding), never a crash or an allocation larger than the file.
Result<std::unique_ptr<ir::Graph>> ReadKgl(const uint8_t* data, size_t size);

}  // namespace kinglet::format
