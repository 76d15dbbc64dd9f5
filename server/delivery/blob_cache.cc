#include "delivery/blob_cache.h"

namespace kinglet::server {

std::shared_ptr<const std::string> BlobCache::Get(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(sha256);
  if (it == entries_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.position);
  return it->second.bytes;
}

void BlobCache::Put(const std::string& sha256, std::shared_ptr<const std::string> bytes) {
  if (bytes == nullptr || bytes->size() > capacity_ / 8) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.count(sha256)) return;
  while (bytes_ + bytes->size() > capacity_ && !lru_.empty()) {
    auto victim = entries_.find(lru_.back());
    bytes_ -= victim->second.bytes->size();
    entries_.erase(victim);
    lru_.pop_back();
  }
  lru_.push_front(sha256);
  bytes_ += bytes->size();
  entries_[sha256] = {std::move(bytes), lru_.begin()};
}

uint64_t BlobCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace kinglet::server
