// What the SDK measures on the device, aggregated per model version until the next flush:
// run latency histogram, counts of runs, loads, fetches (with bytes and a fetch-time
// histogram) and errors of each. Bounded by the number of model versions it holds; a flush
// that fails puts its batch back, so nothing that fits the buffer is lost.
//
// Thread-safe; recording takes one short lock and never allocates after a version's first use.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "kinglet/status.h"
#include "telemetry/latency_histogram.h"

namespace kinglet::sdk {

struct VersionTelemetry {
  LatencyHistogram run_latency;
  LatencyHistogram fetch_latency;
  uint64_t runs = 0;  // successful runs (= run_latency.total())
  uint64_t run_errors = 0;
  uint64_t loads = 0;
  uint64_t load_errors = 0;
  uint64_t fetches = 0;
  uint64_t fetch_errors = 0;
  uint64_t fetch_bytes = 0;
  uint64_t cache_fallbacks = 0;  // times the cached version served because the server could not

  void Merge(const VersionTelemetry& other);
};

// (model, version); version 0 = no version known (the first fetch failed).
using TelemetryKey = std::pair<std::string, uint32_t>;
using TelemetrySnapshot = std::map<TelemetryKey, VersionTelemetry>;

// Who is reporting: no personal data, only a random id made on first run.
struct DeviceIdentity {
  std::string device_id;
  std::string device_class;
  std::string device_model;
  std::string os;
  std::string sdk_version;
};

class TelemetryBuffer {
 public:
  // A disabled buffer records nothing (the app turned telemetry off).
  explicit TelemetryBuffer(size_t max_versions = 256, bool enabled = true)
      : max_versions_(max_versions), enabled_(enabled) {}

  void RecordRun(const std::string& model, uint32_t version, double seconds, bool ok);
  void RecordLoad(const std::string& model, uint32_t version, bool ok);
  void RecordFetch(const std::string& model, uint32_t version, double seconds, uint64_t bytes, bool ok);
  void RecordCacheFallback(const std::string& model, uint32_t version);

  // Takes everything recorded so far.
  TelemetrySnapshot Take();
  // Puts a snapshot whose delivery failed back (merged with what came since).
  void PutBack(const TelemetrySnapshot& snapshot);
  // Events dropped because the buffer was full of other versions.
  uint64_t dropped() const;

 private:
  VersionTelemetry* Slot(const std::string& model, uint32_t version);  // requires mu_

  const size_t max_versions_;
  const bool enabled_;
  mutable std::mutex mu_;
  TelemetrySnapshot pending_;  // guarded by mu_
  uint64_t dropped_ = 0;       // guarded by mu_
};

// The JSON batch POSTed to /v1/telemetry (schema 1; see docs/architecture.md).
std::string SerializeBatch(const DeviceIdentity& device, const TelemetrySnapshot& snapshot, int64_t sent_unix);

// Reads the entries of a batch SerializeBatch wrote (the SDK keeps undelivered telemetry on disk
// across restarts in this form). InvalidArgument for anything else.
Result<TelemetrySnapshot> ParseBatchEntries(const std::string& batch);

}  // namespace kinglet::sdk
