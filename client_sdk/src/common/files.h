// The SDK's file system needs: crash-safe writes (temp, fsync, rename, fsync the directory),
// bounded reads, and sha256 of files. (The server has its own copy: the SDK may not link it.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kinglet/status.h"

namespace kinglet::sdk {

Status MakeDirectories(const std::string& path);
// Reads a whole file of at most `max_bytes`; NotFound when absent.
Result<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes = 1 << 20);
Status WriteFileAtomically(const std::string& path, const std::string& bytes);
// rename(2) then fsync of the target's directory.
Status RenameDurably(const std::string& from, const std::string& to);
// Size of a regular file; NotFound when absent.
Result<uint64_t> FileSize(const std::string& path);
bool FileExists(const std::string& path);
// Lowercase hex sha256 of a file's bytes / of a buffer.
Result<std::string> Sha256OfFile(const std::string& path);
std::string Sha256Hex(const void* data, size_t size);
// Random bytes from the OS, as lowercase hex.
Result<std::string> RandomHex(size_t bytes);

}  // namespace kinglet::sdk
