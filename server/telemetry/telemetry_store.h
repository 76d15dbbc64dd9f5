// Device telemetry aggregated in SQLite (its own file beside the catalog, so ingest never
// contends with admin writes): one row per model, version, device class, device model and
// minute, plus running totals per model, version and device class for /metrics (never pruned,
// so Prometheus counters only go up). Latency histograms are stored as one column per bucket
// so an ingest is a single UPSERT per entry.
//
// Thread-safe (one connection, serialised).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "catalog/sqlite.h"
#include "telemetry/telemetry_batch.h"

namespace kinglet::server {

struct TelemetryRow {
  std::string model;
  uint32_t version = 0;
  std::string device_class;
  std::string device_model;  // "" when grouped over device models
  int64_t bucket = 0;        // start (Unix seconds) of the row's time bucket; 0 for totals
  TelemetryCounts counts;
};

class TelemetryStore {
 public:
  static constexpr int64_t kBucketSeconds = 60;

  static Result<std::unique_ptr<TelemetryStore>> Open(const std::string& path);

  // Adds the entries (already validated and allowed) of one batch received at `now`, in one
  // transaction.
  Status Add(const TelemetryBatch& batch, const std::vector<const TelemetryEntry*>& entries, int64_t now);

  // Running totals per model, version and device class.
  Result<std::vector<TelemetryRow>> Totals();
  // Rows of `model` since `since`, summed per version, device class and window of
  // `window_seconds` (a multiple of 60; 0 = one window for the whole range).
  Result<std::vector<TelemetryRow>> Series(const std::string& model, int64_t since, int64_t window_seconds);

  // Drops per-minute rows older than `before` (totals stay).
  Status Prune(int64_t before);

 private:
  explicit TelemetryStore(std::unique_ptr<sql::Database> db) : db_(std::move(db)) {}

  std::mutex mu_;
  std::unique_ptr<sql::Database> db_;            // guarded by mu_
  std::optional<sql::Statement> upsert_series_;  // guarded by mu_
  std::optional<sql::Statement> upsert_totals_;  // guarded by mu_
};

}  // namespace kinglet::server
