// POSIX file primitives the server's stores are built on, each returning a Status that names
// the path and the OS error. Writes are crash-safe: temp file, fsync, rename, fsync directory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kinglet/status.h"

namespace kinglet::server {

// Creates `dir` and its missing parents with `mode` (like mkdir -p).
Status MakeDirectories(const std::string& dir, unsigned mode = 0755);

// Writes `bytes` to `path` through a temp file in the same directory: a reader (or a crash)
// sees the old file or the whole new one. `mode` is the new file's permission bits.
Status WriteFileAtomically(const std::string& path, std::string_view bytes, unsigned mode = 0644);

// fsyncs a file or directory by path.
Status SyncPath(const std::string& path);

// rename(2) followed by an fsync of the destination's directory.
Status RenameDurably(const std::string& from, const std::string& to);

Result<std::string> ReadFile(const std::string& path);
Result<uint64_t> FileSize(const std::string& path);
bool PathExists(const std::string& path);

// "a/b/c" -> "a/b".
std::string ParentDirectory(const std::string& path);

// A random lowercase-hex string of 2 * bytes characters (from OpenSSL's CSPRNG).
std::string RandomHex(size_t bytes);

}  // namespace kinglet::server
