// The Kinglet client SDK: what an app links to get its models from kingletd and run them.
//
//   kinglet::sdk::ClientConfig config;
//   config.server_url = "https://models.example.com";
//   config.public_keys_pem = {kPinnedKey};
//   config.cache_dir = app_files_dir + "/kinglet";
//   auto client = kinglet::sdk::Client::Create(config);        // no network
//   auto model = (*client)->Model("scan");                      // no network
//   model->Run(inputs, &outputs);  // first call: manifest, verify, download, cache, load, run
//
// Nothing is downloaded before a model's first Run (or Prefetch). A manifest is trusted only
// when signed by a pinned key, unexpired and not older than the last one accepted; a blob
// only when it hashes to what that manifest says. When the server cannot be reached or sends
// anything wrong, the last verified cached version keeps serving and the error is reported
// (Model::last_error, ClientConfig::on_error, and telemetry).
//
// Telemetry (latency histograms, counts of runs, loads, fetches and errors per model version)
// is kept in memory, bounded, and posted every `telemetry_interval` and when the Client is
// destroyed; what that last post cannot deliver is saved in the cache directory and sent by the
// next Client. It carries a random device id made on first run, the device class and model,
// the OS — no personal data.
//
// Thread-safety: Client and Model are thread-safe; many threads may Run one Model at once.
// Models, and futures from their *Async calls, must not outlive their Client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "kinglet/status.h"
#include "kinglet/model.h"
#include "kinglet/tensor.h"

namespace kinglet::sdk {

struct ClientConfig {
  std::string server_url;                    // kingletd's delivery base, "http(s)://host[:port]"
  std::vector<std::string> public_keys_pem;  // pinned Ed25519 keys (several during a rotation)
  std::string cache_dir;                     // created when missing; one process at a time
  uint64_t cache_max_bytes = 64ull << 20;    // blobs beyond this are evicted, least recently used
  std::string device_class;  // "" = match this device against the server's classes
  std::string device_model;  // "" = read from the system (DMI product name on Linux)
  std::string ca_file;       // PEM CAs for https instead of the system's trust store
  std::chrono::milliseconds timeout{10000};    // per network step
  int max_attempts = 4;                        // per request
  std::chrono::milliseconds backoff{200};      // first retry delay; doubles, with jitter
  std::chrono::seconds refresh_interval{3600};  // how often a loaded model checks for a new version
  bool telemetry = true;
  std::chrono::milliseconds telemetry_interval{60000};
  size_t telemetry_max_versions = 256;  // the buffer's bound (model versions)
  int threads_per_run = 1;              // engine intra-op threads of each Run
  // Called (on the calling or background thread) for every error the SDK absorbed by serving
  // a cached version or retrying later. Must be thread-safe and quick, and must not call back
  // into the SDK (it may run while a model's fetch lock is held).
  std::function<void(const std::string& model, const Status& error)> on_error;
};

// What a Model has loaded.
struct ModelInfo {
  std::string name;
  uint32_t version = 0;  // 0: nothing loaded yet
  std::string sha256;
  uint64_t size = 0;
  std::string device_class;
  std::vector<TensorSpec> inputs;   // names, dtypes and shapes Run expects
  std::vector<TensorSpec> outputs;
  bool from_cache_fallback = false;  // served from cache because the server could not
  uint64_t downloaded_bytes = 0;     // by this Model object, over the network
  uint64_t resumed_from = 0;         // the largest offset a download resumed from (0: none)
};

class Client;

class Model {
 public:
  ~Model();

  // Fetches (when not cached) and loads the model now. OK when a verified version is loaded,
  // fresh or from the cache; an error only when no version is available at all.
  Status Prefetch();
  std::future<Status> PrefetchAsync();

  // Runs the model on `inputs` (matched by name), loading it first when needed. `outputs` is
  // reused in place when its tensors already have the right shapes.
  Status Run(const std::vector<NamedTensor>& inputs, std::vector<NamedTensor>* outputs);
  // Runs on a background thread; the future holds the outputs or the error.
  std::future<Result<std::vector<NamedTensor>>> RunAsync(std::vector<NamedTensor> inputs);

  // Asks the server for a newer version now and switches to it when there is one. Runs in
  // flight finish on the version they started with.
  Status Refresh();

  ModelInfo info() const;
  // The last error absorbed by falling back to the cache or by a failed refresh; OK if none.
  Status last_error() const;

  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);

 private:
  friend class ModelInternals;
  std::unique_ptr<Impl> impl_;
};

class Client {
 public:
  // Checks the configuration and opens the cache; makes no network request.
  static Result<std::unique_ptr<Client>> Create(ClientConfig config);
  // Flushes telemetry (once, with the configured timeout) and stops the background thread.
  ~Client();

  // The model called `name`; the same object for the same name. Makes no network request.
  Result<std::shared_ptr<sdk::Model>> Model(const std::string& name);

  // Posts the buffered telemetry now. On failure the data stays buffered for the next flush.
  Status Flush();

  // The random id this installation reports under.
  const std::string& device_id() const;
  // The device class in use ("" until resolved by a first fetch, unless configured).
  std::string device_class() const;

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kinglet::sdk
