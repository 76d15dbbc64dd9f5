// kingletd's own counters for /metrics: HTTP requests and bytes by route and status, telemetry
// batches by outcome, uploads by outcome. Labels come from fixed sets, so cardinality is
// bounded whatever clients send.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace kinglet::server {

class DaemonMetrics {
 public:
  // `route` is one of a fixed set chosen by the router ("manifest", "blob", ...).
  void CountRequest(const char* route, unsigned status, uint64_t response_bytes);
  // `outcome`: "accepted", "invalid", "rate_limited", "too_large", "failed".
  void CountTelemetryBatch(const char* outcome, uint64_t entries_stored, uint64_t entries_dropped);
  // `outcome`: "ok", "failed".
  void CountUpload(const char* outcome);

  // The counters in the Prometheus text exposition format.
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, unsigned>, uint64_t> requests_;  // guarded by mu_
  std::map<std::string, uint64_t> response_bytes_;                 // guarded by mu_
  std::map<std::string, uint64_t> telemetry_batches_;              // guarded by mu_
  uint64_t telemetry_entries_stored_ = 0;                          // guarded by mu_
  uint64_t telemetry_entries_dropped_ = 0;                         // guarded by mu_
  std::map<std::string, uint64_t> uploads_;                        // guarded by mu_
};

}  // namespace kinglet::server
