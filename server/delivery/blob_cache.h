// Hot artifact bytes in memory, least recently used out first, bounded in bytes. Artifacts are
// immutable and small (tens of KB to a few MB), and a phone fleet asks for the same few, so
// serving them from memory in one write is what keeps kingletd near a static file server.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kinglet::server {

class BlobCache {
 public:
  explicit BlobCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // The cached bytes, or null.
  std::shared_ptr<const std::string> Get(const std::string& sha256);
  // Caches `bytes` unless they exceed an eighth of the capacity (one large blob must not evict
  // every small one); evicts least recently used entries to fit.
  void Put(const std::string& sha256, std::shared_ptr<const std::string> bytes);
  uint64_t bytes() const;

 private:
  struct Entry {
    std::shared_ptr<const std::string> bytes;
    std::list<std::string>::iterator position;
  };
  const uint64_t capacity_;
  mutable std::mutex mu_;
  std::list<std::string> lru_;                       // most recent first; guarded by mu_
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  uint64_t bytes_ = 0;                               // guarded by mu_
};

}  // namespace kinglet::server
