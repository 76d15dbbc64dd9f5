// The SDK's cache directory: verified artifact blobs by sha256, the partial downloads that
// resume them, and per model the last manifest this device accepted (which is both the
// offline fallback and the floor for replayed manifests' serials).
//
//   DIR/blobs/<sha256>.kgl       verified, immutable; mtime = last use (for LRU eviction)
//   DIR/partial/<sha256>.part    a download in progress, appended to on resume
//   DIR/models/<name>.json       {"document": <manifest text>, "etag": <its ETag>}
//
// Blob bytes over the cap are evicted least recently used first. Thread-safe; one process per
// directory.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kinglet/status.h"

namespace kinglet::sdk {

struct CachedManifest {
  std::string document;  // the manifest exactly as served (its signature still checks)
  std::string etag;      // the server's ETag for it; "" if none
};

class ModelCache {
 public:
  // Creates the directories when missing.
  static Result<std::unique_ptr<ModelCache>> Open(const std::string& dir, uint64_t max_blob_bytes);

  const std::string& dir() const { return dir_; }
  std::string BlobPath(const std::string& sha256) const;
  std::string PartialPath(const std::string& sha256) const;

  // True when the blob is cached and its bytes still hash to its name (a file damaged on disk
  // is removed, so it is downloaded again). Marks it used.
  bool HasVerifiedBlob(const std::string& sha256);
  // Moves a finished, verified partial download into the cache, then evicts least recently
  // used blobs until the cache fits its cap again (never this one).
  Status AdoptPartial(const std::string& sha256);

  Result<std::optional<CachedManifest>> LoadManifest(const std::string& model) const;
  Status StoreManifest(const std::string& model, const CachedManifest& manifest);

  // Total bytes of cached blobs.
  uint64_t BlobBytes() const;

  // Keeps a blob from eviction while held (between verifying it and loading it).
  std::shared_ptr<void> Pin(const std::string& sha256);

  // Serialises downloads of one blob (two models may name the same artifact).
  std::unique_lock<std::mutex> LockDownload(const std::string& sha256);

 private:
  ModelCache(std::string dir, uint64_t max_blob_bytes) : dir_(std::move(dir)), max_blob_bytes_(max_blob_bytes) {}
  void EvictLocked(const std::string& keep);

  const std::string dir_;
  const uint64_t max_blob_bytes_;
  std::mutex mu_;  // serialises adoption and eviction
  std::map<std::string, int> pinned_;  // guarded by mu_
  std::mutex downloads_mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> downloads_;  // guarded by downloads_mu_
};

// Model names as kingletd accepts them (1-64 of [a-z0-9-], starting with a letter), which also
// makes them safe as file names.
Status ValidateModelName(const std::string& name);

}  // namespace kinglet::sdk
