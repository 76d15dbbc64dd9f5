// The telemetry endpoints: POST /v1/telemetry (validate, size-cap, rate-limit per device,
// aggregate), GET /metrics (Prometheus), GET /v1/telemetry/summary (the dashboard's data) and
// GET /dashboard (the page).
//
// Only entries naming a model and version the catalog knows, from a known device class (or
// "unknown"), are stored, which bounds the label sets /metrics can ever show.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "catalog/catalog.h"
#include "delivery/http_message.h"
#include "metrics/daemon_metrics.h"
#include "telemetry/rate_limiter.h"
#include "telemetry/telemetry_store.h"

namespace kinglet::server {

struct TelemetryOptions {
  double batches_burst = 20;          // per device
  double batches_per_second = 1.0 / 6;  // per device, sustained (10 a minute)
  double peer_burst = 600;              // per client address (many devices behind one NAT)
  double peer_per_second = 50;
  int64_t retention_seconds = 30 * 24 * 3600;  // of the per-minute rows
  std::function<int64_t()> now;       // Unix seconds; defaults to the system clock
};

class TelemetryService {
 public:
  TelemetryService(Catalog* catalog, TelemetryStore* store, DaemonMetrics* metrics, TelemetryOptions options);

  HttpReply Ingest(const HttpRequestView& request);
  HttpReply Metrics();
  HttpReply Summary(const std::map<std::string, std::string>& query);
  HttpReply Dashboard();

  // Percentiles and counts per version and device class since `since` (for the CLI too).
  Result<std::vector<TelemetryRow>> Rows(const std::string& model, int64_t since);

 private:
  int64_t Now() const;
  // Every finished artifact of `model` (none when the catalog cannot say).
  std::vector<ArtifactRecord> ArtifactsOf(const std::string& model);
  // The labels the catalog allows now (cached until its delivery generation moves).
  struct Known {
    uint64_t generation = 0;
    std::map<std::string, uint32_t> latest_version;  // model -> newest version
    std::set<std::string> classes;
  };
  Result<Known> KnownLabels();

  Catalog* catalog_;
  TelemetryStore* store_;
  DaemonMetrics* metrics_;
  TelemetryOptions options_;
  RateLimiter limiter_;
  RateLimiter peer_limiter_;
  std::mutex known_mu_;
  Known known_;                 // guarded by known_mu_
  int64_t last_prune_ = 0;      // guarded by known_mu_
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace kinglet::server
