// Crash-safe whole-file replacement: a reader sees the old file or the new one, never a mix.
#pragma once

#include <string>

#include "kinglet/status.h"

namespace kinglet::compression {

// Writes `bytes` to a temp file beside `path`, fsyncs it, renames it over `path` and fsyncs
// the directory. On any failure the temp file is removed and `path` is untouched.
Status WriteFileAtomically(const std::string& path, const std::string& bytes);

// Reads a whole file (used for ONNX and .npy inputs).
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace kinglet::compression
