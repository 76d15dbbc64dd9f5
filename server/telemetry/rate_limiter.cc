#include "telemetry/rate_limiter.h"

#include <algorithm>

namespace kinglet::server {

bool RateLimiter::Allow(const std::string& key, double now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      // A bucket that has refilled completely carries no information: forget those.
      for (auto b = buckets_.begin(); b != buckets_.end();) {
        const double tokens = std::min(burst_, b->second.tokens + (now - b->second.updated) * per_second_);
        b = tokens >= burst_ ? buckets_.erase(b) : std::next(b);
      }
      if (buckets_.size() >= max_keys_) return false;
    }
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + (now - b.updated) * per_second_);
  b.updated = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace kinglet::server
