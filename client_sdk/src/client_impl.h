// The insides of Client and Model, shared by client.cc, model.cc and the C API.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cache/model_cache.h"
#include "fetch/retry.h"
#include "kinglet/model.h"
#include "kinglet/sdk/client.h"
#include "kinglet/session.h"
#include "net/http_client.h"
#include "telemetry/telemetry_buffer.h"
#include "verify/manifest_verifier.h"

namespace kinglet::sdk {

struct Client::Impl {
  ClientConfig config;
  Url server;
  std::vector<TrustedKey> keys;
  RetryPolicy retry;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<ModelCache> cache;
  TelemetryBuffer telemetry;
  DeviceIdentity identity;  // device_class filled once resolved (guarded by class_mu)

  mutable std::mutex class_mu;
  std::mutex models_mu;
  std::map<std::string, std::shared_ptr<sdk::Model>> models;  // guarded by models_mu

  std::mutex flush_mu;  // one flush at a time
  std::atomic<bool> shutting_down{false};  // cancels requests in flight on the background thread
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;  // guarded by stop_mu
  std::thread background;

  Impl(size_t telemetry_versions, bool telemetry_on) : telemetry(telemetry_versions, telemetry_on) {}

  // This device's class: the configured one, else matched against the server's classes (and
  // remembered in the cache for when the server cannot be asked).
  Result<std::string> DeviceClass();
  void ReportError(const std::string& model, const Status& error) const;
  Status Flush(int max_attempts);
  // Telemetry the last flush could not deliver survives a restart in the cache directory.
  std::string SavedTelemetryPath() const;
  void SaveUndeliveredTelemetry();
  void RestoreSavedTelemetry();
  void BackgroundLoop();
};

// One loaded version: the engine model and a pool of sessions (a Session is single-threaded;
// concurrent Runs each take their own, made on demand and kept for reuse).
struct LoadedVersion {
  std::shared_ptr<const kinglet::Model> model;
  ModelInfo info;
  std::mutex pool_mu;
  std::vector<std::unique_ptr<Session>> idle;  // guarded by pool_mu
};

struct Model::Impl {
  Client::Impl* client = nullptr;
  std::string name;

  std::mutex fetch_mu;  // one fetch/load at a time: concurrent first Runs share it
  std::atomic<uint64_t> fetches_done{0};
  mutable std::mutex state_mu;
  std::shared_ptr<LoadedVersion> loaded;  // guarded by state_mu
  Status last_error;                      // guarded by state_mu
  std::chrono::steady_clock::time_point last_check;  // guarded by state_mu
  uint64_t downloaded_bytes = 0;                     // guarded by state_mu
  uint64_t resumed_from = 0;                         // guarded by state_mu

  std::shared_ptr<LoadedVersion> Current() const;
  // Requires fetch_mu. Brings the newest verified version in, or falls back to the cache.
  Status FetchAndLoad();
  bool RefreshDue() const;
};

// The SDK's own access to a Model's insides.
class ModelInternals {
 public:
  static Model::Impl& Of(Model& model) { return *model.impl_; }
};

}  // namespace kinglet::sdk
