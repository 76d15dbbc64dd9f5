// Content-addressed, immutable blob storage: a blob's name is the sha256 of its bytes, so a
// name always means the same bytes, a blob can be served with `Cache-Control: immutable`, and
// storing the same artifact twice costs nothing.
//
// Layout: <root>/<first two hex digits>/<sha256>, temp files in <root>/tmp. A blob appears
// under its name only complete and fsynced (temp file, fsync, rename, fsync directory), so a
// crash leaves at most a temp file, which Open() removes.
//
// Thread-safe: concurrent Puts of the same bytes both succeed with one stored copy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kinglet/status.h"

namespace kinglet::server {

class BlobStore {
 public:
  // Opens the store at `root`, creating it if needed, and clears temp files of a crashed run.
  static Result<std::unique_ptr<BlobStore>> Open(const std::string& root);

  // Stores `bytes`; returns their sha256 (lowercase hex).
  Result<std::string> Put(std::string_view bytes);

  // Moves the file at `path` (on the same file system) in as blob `sha256`, after checking
  // that its bytes hash to it (Corruption otherwise, and `path` is left alone).
  Status Adopt(const std::string& path, const std::string& sha256);

  bool Contains(const std::string& sha256) const;
  Result<std::string> Read(const std::string& sha256) const;
  Result<uint64_t> Size(const std::string& sha256) const;
  // Re-hashes a stored blob; Corruption if its bytes no longer match its name (disk rot).
  Status Verify(const std::string& sha256) const;
  Status Remove(const std::string& sha256);

  // Where blob `sha256` lives (for serving it straight from disk). InvalidArgument unless
  // `sha256` is 64 lowercase hex digits, so no caller-supplied name can leave the store.
  Result<std::string> PathOf(const std::string& sha256) const;
  // A directory for temp files on the store's file system (for uploads that are later adopted).
  const std::string& temp_dir() const { return temp_dir_; }

 private:
  explicit BlobStore(std::string root);

  std::string root_;
  std::string temp_dir_;
};

}  // namespace kinglet::server
