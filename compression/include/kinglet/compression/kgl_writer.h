// Writes the .kgl container (layout: engine/src/format/FORMAT.md) from the graph IR.
#pragma once

#include <string>

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::compression {

// Serialises `graph` to .kgl bytes. Fails if the graph does not validate.
Result<std::string> SerializeKgl(const ir::Graph& graph);

// SerializeKgl, then writes atomically: temp file in the same directory, fsync, rename, fsync
// of the directory. On failure the previous file at `path`, if any, is left untouched.
Status WriteKglFile(const ir::Graph& graph, const std::string& path);

}  // namespace kinglet::compression
