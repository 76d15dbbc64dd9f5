// The fixed latency buckets the SDK and kingletd agree on (telemetry schema 1): upper bounds
// from 100 us to 10 s in 1-2.5-5 steps, the last bucket open-ended. Prometheus histograms on
// /metrics use the same bounds, so a device's counts are added up without re-binning.
#pragma once

#include <array>
#include <cstdint>

namespace kinglet::sdk {

inline constexpr std::array<double, 16> kLatencyBucketBounds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
inline constexpr size_t kLatencyBuckets = kLatencyBucketBounds.size() + 1;  // + (10 s, inf)

struct LatencyHistogram {
  std::array<uint64_t, kLatencyBuckets> counts{};
  uint64_t sum_us = 0;

  void Add(double seconds) {
    size_t b = 0;
    while (b < kLatencyBucketBounds.size() && seconds > kLatencyBucketBounds[b]) ++b;
    ++counts[b];
    sum_us += static_cast<uint64_t>(seconds * 1e6 + 0.5);
  }
  void Merge(const LatencyHistogram& other) {
    for (size_t b = 0; b < kLatencyBuckets; ++b) counts[b] += other.counts[b];
    sum_us += other.sum_us;
  }
  uint64_t total() const {
    uint64_t n = 0;
    for (uint64_t c : counts) n += c;
    return n;
  }
};

}  // namespace kinglet::sdk
