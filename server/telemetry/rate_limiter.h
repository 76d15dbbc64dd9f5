// Per-key token buckets (a burst of `burst`, refilled at `per_second`), for limiting how often
// one device may post telemetry. Memory is bounded: past `max_keys` keys, the full (idle)
// buckets are forgotten, and if none is, new keys are refused until some are.
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kinglet::server {

class RateLimiter {
 public:
  RateLimiter(double burst, double per_second, size_t max_keys = 100000)
      : burst_(burst), per_second_(per_second), max_keys_(max_keys) {}

  // Takes one token for `key` at time `now_seconds` (monotonic); false when none is left.
  bool Allow(const std::string& key, double now_seconds);

 private:
  struct Bucket {
    double tokens;
    double updated;
  };

  const double burst_;
  const double per_second_;
  const size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace kinglet::server
