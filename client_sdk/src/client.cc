// Client: configuration, identity, device class, telemetry flushing and the background thread.
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "client_impl.h"
#include "common/files.h"
#include "fetch/device_class_match.h"
#include "kinglet/sdk/device_info.h"

namespace kinglet::sdk {
namespace {

constexpr char kSdkVersion[] = "kinglet-sdk/1";
constexpr size_t kEntriesPerBatch = 32;  // keeps a batch far below the server's 64 KiB cap

// Printable ASCII, bounded: what a telemetry label may hold.
std::string Sanitised(const std::string& text, size_t max) {
  std::string out;
  for (char c : text) {
    if (out.size() == max) break;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' || c == '-' ||
        c == '_' || c == '.') {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "unknown" : out;
}

std::string DetectDeviceModel() {
  auto product = ReadSmallFile("/sys/devices/virtual/dmi/id/product_name", 256);
  return Sanitised(product.ok() ? *product : "", 64);
}

Result<std::string> LoadOrMakeDeviceId(const std::string& cache_dir) {
  const std::string path = cache_dir + "/device_id";
  auto existing = ReadSmallFile(path, 256);
  if (existing.ok() && existing->size() == 32 && existing->find_first_not_of("0123456789abcdef") == std::string::npos) {
    return *existing;
  }
  KINGLET_ASSIGN_OR_RETURN(std::string id, RandomHex(16));
  KINGLET_RETURN_IF_ERROR(WriteFileAtomically(path, id));
  return id;
}

}  // namespace

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Client>> Client::Create(ClientConfig config) {
  auto impl = std::make_unique<Impl>(std::max<size_t>(1, config.telemetry_max_versions), config.telemetry);
  KINGLET_ASSIGN_OR_RETURN(impl->server, Url::Parse(config.server_url));
  if (impl->server.target.empty() || impl->server.target.back() != '/') impl->server.target += '/';
  if (config.public_keys_pem.empty()) {
    return Status::InvalidArgument("the SDK needs at least one pinned public key (ClientConfig::public_keys_pem; "
                                   "kingletd writes it to DATA_DIR/signing.pub)");
  }
  for (const std::string& pem : config.public_keys_pem) {
    KINGLET_ASSIGN_OR_RETURN(TrustedKey key, TrustedKeyFromPem(pem));
    impl->keys.push_back(std::move(key));
  }
  if (!config.device_class.empty()) KINGLET_RETURN_IF_ERROR(ValidateModelName(config.device_class));
  impl->retry.max_attempts = std::max(1, config.max_attempts);
  impl->retry.initial_backoff = config.backoff;
  HttpClientOptions http;
  http.step_timeout = config.timeout;
  http.ca_file = config.ca_file;
  http.user_agent = kSdkVersion;
  http.cancel = &impl->shutting_down;
  KINGLET_ASSIGN_OR_RETURN(impl->http, HttpClient::Create(http));
  KINGLET_ASSIGN_OR_RETURN(impl->cache, ModelCache::Open(config.cache_dir, config.cache_max_bytes));
  KINGLET_ASSIGN_OR_RETURN(impl->identity.device_id, LoadOrMakeDeviceId(config.cache_dir));
  impl->identity.device_class = config.device_class;
  impl->identity.device_model = config.device_model.empty() ? DetectDeviceModel() : Sanitised(config.device_model, 64);
  impl->identity.os = DetectDevice().os;
  impl->identity.sdk_version = kSdkVersion;
  impl->config = std::move(config);
  impl->RestoreSavedTelemetry();
  std::unique_ptr<Client> client(new Client(std::move(impl)));
  Impl* self = client->impl_.get();
  self->background = std::thread([self] { self->BackgroundLoop(); });
  return client;
}

Client::~Client() {
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  impl_->shutting_down = true;  // a refresh download in progress stops at its next step
  impl_->stop_cv.notify_all();
  impl_->background.join();
  impl_->shutting_down = false;
  if (impl_->config.telemetry) {
    const Status flushed = impl_->Flush(1);
    if (!flushed.ok()) {
      impl_->ReportError("", flushed);
      impl_->SaveUndeliveredTelemetry();  // sent by the next Client on this cache
    }
  }
}

Result<std::shared_ptr<sdk::Model>> Client::Model(const std::string& name) {
  KINGLET_RETURN_IF_ERROR(ValidateModelName(name));
  std::lock_guard<std::mutex> lock(impl_->models_mu);
  std::shared_ptr<sdk::Model>& slot = impl_->models[name];
  if (slot == nullptr) {
    auto model_impl = std::make_unique<sdk::Model::Impl>();
    model_impl->client = impl_.get();
    model_impl->name = name;
    slot = std::shared_ptr<sdk::Model>(new sdk::Model(std::move(model_impl)));
  }
  return slot;
}

Status Client::Flush() { return impl_->Flush(impl_->config.max_attempts); }

const std::string& Client::device_id() const { return impl_->identity.device_id; }

std::string Client::device_class() const {
  std::lock_guard<std::mutex> lock(impl_->class_mu);
  return impl_->identity.device_class;
}

Result<std::string> Client::Impl::DeviceClass() {
  {
    std::lock_guard<std::mutex> lock(class_mu);
    if (!identity.device_class.empty()) return identity.device_class;
  }
  const std::string remembered_path = config.cache_dir + "/device_class";
  HttpRequest request;
  request.url = server.WithTarget(server.target + "v1/device-classes");
  auto response = SendWithRetries(*http, request, retry, 256 * 1024);
  Result<std::string> matched = Status::Internal("unset");
  if (response.ok() && response->status == 200) {
    auto classes = ParseDeviceClasses(response->body);
    matched = classes.ok() ? MatchDeviceClass(DetectDevice(), *classes) : Result<std::string>(classes.status());
    if (matched.ok()) {
      const Status saved = WriteFileAtomically(remembered_path, *matched);
      if (!saved.ok()) ReportError("", saved);
    }
  } else {
    // Offline: the class matched last time, if any.
    auto remembered = ReadSmallFile(remembered_path, 128);
    if (remembered.ok() && ValidateModelName(*remembered).ok()) {
      matched = *remembered;
    } else {
      matched = response.ok() ? Status::IOError("the device class list answered HTTP " +
                                                std::to_string(response->status))
                              : response.status();
    }
  }
  if (!matched.ok()) return matched.status();
  std::lock_guard<std::mutex> lock(class_mu);
  identity.device_class = *matched;
  return *matched;
}

std::string Client::Impl::SavedTelemetryPath() const { return config.cache_dir + "/telemetry.pending"; }

void Client::Impl::SaveUndeliveredTelemetry() {
  const TelemetrySnapshot left = telemetry.Take();
  if (left.empty()) return;
  const Status saved = WriteFileAtomically(SavedTelemetryPath(), SerializeBatch(identity, left, 0));
  if (!saved.ok()) ReportError("", saved);
}

void Client::Impl::RestoreSavedTelemetry() {
  const std::string path = SavedTelemetryPath();
  auto text = ReadSmallFile(path, 4 << 20);
  if (!text.ok()) return;  // nothing saved
  auto saved = ParseBatchEntries(*text);
  if (saved.ok()) {
    telemetry.PutBack(*saved);
  } else {
    ReportError("", saved.status());  // a damaged file is dropped, not retried forever
  }
  ::unlink(path.c_str());
}

void Client::Impl::ReportError(const std::string& model, const Status& error) const {
  if (config.on_error) config.on_error(model, error);
}

Status Client::Impl::Flush(int max_attempts) {
  std::lock_guard<std::mutex> one_at_a_time(flush_mu);
  TelemetrySnapshot snapshot = telemetry.Take();
  if (snapshot.empty()) return Status::Ok();
  DeviceIdentity who;
  {
    std::lock_guard<std::mutex> lock(class_mu);
    who = identity;
  }
  if (who.device_class.empty()) who.device_class = "unknown";
  RetryPolicy policy = retry;
  policy.max_attempts = std::max(1, max_attempts);
  Status result = Status::Ok();
  TelemetrySnapshot unsent;
  auto it = snapshot.begin();
  while (it != snapshot.end()) {
    TelemetrySnapshot batch;
    for (size_t n = 0; n < kEntriesPerBatch && it != snapshot.end(); ++n, ++it) batch.insert(*it);
    if (!result.ok()) {  // the server is not taking batches now: keep the rest for next time
      unsent.insert(batch.begin(), batch.end());
      continue;
    }
    HttpRequest request;
    request.method = "POST";
    request.url = server.WithTarget(server.target + "v1/telemetry");
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = SerializeBatch(who, batch, static_cast<int64_t>(std::time(nullptr)));
    auto response = SendWithRetries(*http, request, policy, 64 * 1024);
    if (response.ok() && response->status / 100 == 2) continue;
    if (response.ok() && response->status == 400) {
      // The server will never take this batch: keeping it would block every later flush.
      result = Status::InvalidArgument("kingletd refused a telemetry batch as invalid: " + response->body.substr(0, 200));
      continue;
    }
    result = response.ok() ? Status::IOError("telemetry upload answered HTTP " + std::to_string(response->status))
                           : response.status();
    unsent.insert(batch.begin(), batch.end());
  }
  telemetry.PutBack(unsent);
  return result;
}

void Client::Impl::BackgroundLoop() {
  const auto tick = std::chrono::milliseconds(std::max<int64_t>(
      50, std::min<int64_t>(config.telemetry_interval.count(),
                            std::chrono::duration_cast<std::chrono::milliseconds>(config.refresh_interval).count())));
  auto next_flush = std::chrono::steady_clock::now() + config.telemetry_interval;
  std::unique_lock<std::mutex> lock(stop_mu);
  while (!stop_cv.wait_for(lock, tick, [this] { return stopping; })) {
    lock.unlock();
    if (config.telemetry && std::chrono::steady_clock::now() >= next_flush) {
      const Status flushed = Flush(1);
      if (!flushed.ok()) ReportError("", flushed);
      next_flush = std::chrono::steady_clock::now() + config.telemetry_interval;
    }
    std::vector<std::shared_ptr<sdk::Model>> due;
    {
      std::lock_guard<std::mutex> models_lock(models_mu);
      for (auto& [name, model] : models) {
        if (ModelInternals::Of(*model).RefreshDue()) due.push_back(model);
      }
    }
    for (auto& model : due) (void)model->Refresh();
    lock.lock();
  }
}

}  // namespace kinglet::sdk
