// A telemetry batch as the SDK posts it (schema 1), parsed and validated: every field typed
// and bounded, histogram counts consistent with the run and fetch counts. See
// docs/architecture.md ("Telemetry") for the document.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kinglet/status.h"

namespace kinglet::server {

// Upper bounds in seconds of the latency buckets (the SDK's kLatencyBucketBounds); one more,
// open-ended bucket follows.
inline constexpr std::array<double, 16> kLatencyBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                          0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                          1,      2.5,     5,      10};
inline constexpr size_t kLatencyBuckets = kLatencyBounds.size() + 1;
using BucketCounts = std::array<uint64_t, kLatencyBuckets>;

struct TelemetryCounts {
  uint64_t runs = 0, run_errors = 0, loads = 0, load_errors = 0, fetches = 0, fetch_errors = 0, fetch_bytes = 0,
           cache_fallbacks = 0;
  BucketCounts latency{};
  uint64_t latency_sum_us = 0;
  BucketCounts fetch_latency{};
  uint64_t fetch_latency_sum_us = 0;

  void Add(const TelemetryCounts& other);
};

struct TelemetryEntry {
  std::string model;
  uint32_t version = 0;  // 0: the device had no version yet (its first fetch failed)
  TelemetryCounts counts;
};

struct TelemetryBatch {
  std::string device_id;
  std::string device_class;  // a class name, or "unknown" before the device resolved one
  std::string device_model;
  std::string os;
  std::string sdk_version;
  int64_t sent = 0;
  std::vector<TelemetryEntry> entries;
};

inline constexpr size_t kMaxTelemetryBatchBytes = 64 * 1024;
inline constexpr size_t kMaxTelemetryEntries = 256;

// InvalidArgument naming the first problem.
Result<TelemetryBatch> ParseTelemetryBatch(const std::string& body);

// The q-quantile (0..1) of a latency histogram in seconds, interpolating linearly inside the
// bucket as Prometheus's histogram_quantile does; 0 for an empty histogram.
double HistogramQuantile(const BucketCounts& counts, double q);

}  // namespace kinglet::server
