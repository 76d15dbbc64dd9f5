// Model: lazy fetch, verification, cache fallback and concurrent runs.
#include <chrono>
#include <ctime>

#include "client_impl.h"
#include "common/files.h"
#include "fetch/blob_download.h"

namespace kinglet::sdk {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }

// The server's {"error": "..."} message, or the start of the body.
std::string ServerMessage(const HttpResponse& response) {
  const size_t key = response.body.find("\"error\":\"");
  if (key == std::string::npos) return response.body.substr(0, 200);
  const size_t start = key + 9;
  return response.body.substr(start, std::min<size_t>(response.body.find('"', start) - start, 300));
}

struct Candidate {
  VerifiedManifest manifest;
  CachedManifest document;
  std::string path;          // the verified blob in the cache
  std::shared_ptr<void> pin;  // keeps it there until loaded
  bool new_document = true;   // differs from the manifest the cache holds
};

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::shared_ptr<LoadedVersion> Model::Impl::Current() const {
  std::lock_guard<std::mutex> lock(state_mu);
  return loaded;
}

bool Model::Impl::RefreshDue() const {
  std::lock_guard<std::mutex> lock(state_mu);
  return loaded != nullptr && Clock::now() - last_check >= client->config.refresh_interval;
}

namespace {

// The newest manifest the server signs for this device, verified, and its blob verified in the
// cache (downloaded when missing).
Result<Candidate> FetchNewest(Client::Impl& c, const std::string& name, Model::Impl& m) {
  KINGLET_ASSIGN_OR_RETURN(const std::string device_class, c.DeviceClass());
  auto stored = c.cache->LoadManifest(name);
  std::optional<CachedManifest> previous = stored.ok() ? *stored : std::nullopt;
  uint64_t min_serial = 0;
  if (previous) {
    auto old = VerifyManifest(previous->document, c.keys, kIgnoreExpiry, 0);
    if (old.ok() && old->model == name) {
      min_serial = old->serial;
    } else {
      previous.reset();  // no longer trusted (key rotated away) or damaged: not a reference
    }
  }

  HttpRequest request;
  request.url = c.server.WithTarget(c.server.target + "v1/models/" + name + "/manifest?device_class=" +
                                    PercentEncode(device_class) + "&device_id=" + c.identity.device_id);
  if (previous && !previous->etag.empty()) request.headers.push_back({"If-None-Match", previous->etag});
  KINGLET_ASSIGN_OR_RETURN(HttpResponse response, SendWithRetries(*c.http, request, c.retry, 64 * 1024));
  Candidate candidate;
  if (response.status == 304 && previous) {
    candidate.document = *previous;
    candidate.new_document = false;
  } else if (response.status == 200) {
    candidate.document = {response.body, response.headers.count("etag") ? response.headers["etag"] : ""};
  } else if (response.status == 404) {
    return Status::NotFound("kingletd has no version of '" + name + "' for device class '" + device_class +
                            "': " + ServerMessage(response));
  } else {
    return Status::IOError("manifest request for '" + name + "' answered HTTP " + std::to_string(response.status) +
                           ": " + ServerMessage(response));
  }
  KINGLET_ASSIGN_OR_RETURN(candidate.manifest, VerifyManifest(candidate.document.document, c.keys, UnixNow(), min_serial));
  if (candidate.manifest.model != name || candidate.manifest.device_class != device_class) {
    return Status::Unauthenticated("the server sent a manifest for '" + candidate.manifest.model + "' on '" +
                                   candidate.manifest.device_class + "', not for '" + name + "' on '" + device_class +
                                   "'");
  }
  const std::string& sha = candidate.manifest.sha256;
  candidate.path = c.cache->BlobPath(sha);
  candidate.pin = c.cache->Pin(sha);
  if (c.cache->HasVerifiedBlob(sha)) return candidate;

  KINGLET_ASSIGN_OR_RETURN(Url blob_url, Url::Parse(candidate.manifest.url));
  const auto start = Clock::now();
  DownloadStats stats;
  Status downloaded;
  {
    // Two model names may share one artifact: one download of it at a time.
    std::unique_lock<std::mutex> one_download = c.cache->LockDownload(sha);
    if (c.cache->HasVerifiedBlob(sha)) return candidate;  // the other one just finished it
    downloaded = DownloadBlob(*c.http, blob_url, sha, candidate.manifest.size, c.cache->PartialPath(sha), c.retry,
                              &stats);
    if (downloaded.ok()) downloaded = c.cache->AdoptPartial(sha);
  }
  c.telemetry.RecordFetch(name, candidate.manifest.version, SecondsSince(start), stats.bytes_received, downloaded.ok());
  {
    std::lock_guard<std::mutex> lock(m.state_mu);
    m.downloaded_bytes += stats.bytes_received;
    m.resumed_from = std::max(m.resumed_from, stats.resumed_from);
  }
  if (!downloaded.ok()) return downloaded;
  return candidate;
}

// The last version this device accepted, if its blob is still cached and intact.
Result<Candidate> CachedFallback(Client::Impl& c, const std::string& name) {
  KINGLET_ASSIGN_OR_RETURN(std::optional<CachedManifest> stored, c.cache->LoadManifest(name));
  if (!stored) return Status::NotFound("no cached version of '" + name + "'");
  Candidate candidate;
  candidate.document = *stored;
  KINGLET_ASSIGN_OR_RETURN(candidate.manifest, VerifyManifest(stored->document, c.keys, kIgnoreExpiry, 0));
  candidate.pin = c.cache->Pin(candidate.manifest.sha256);
  if (candidate.manifest.model != name || !c.cache->HasVerifiedBlob(candidate.manifest.sha256)) {
    return Status::NotFound("the cached version of '" + name + "' is gone");
  }
  candidate.path = c.cache->BlobPath(candidate.manifest.sha256);
  return candidate;
}

Result<std::shared_ptr<LoadedVersion>> Load(Client::Impl& c, const Candidate& candidate) {
  auto model = kinglet::Model::LoadFile(candidate.path);
  c.telemetry.RecordLoad(candidate.manifest.model, candidate.manifest.version, model.ok());
  if (!model.ok()) {
    return Status::Of(model.status().code(), "version " + std::to_string(candidate.manifest.version) + " of '" +
                                             candidate.manifest.model + "' does not load: " + model.status().message());
  }
  auto loaded = std::make_shared<LoadedVersion>();
  loaded->model = std::move(*model);
  ModelInfo& info = loaded->info;
  info.name = candidate.manifest.model;
  info.version = candidate.manifest.version;
  info.sha256 = candidate.manifest.sha256;
  info.size = candidate.manifest.size;
  info.device_class = candidate.manifest.device_class;
  info.inputs = loaded->model->inputs();
  info.outputs = loaded->model->outputs();
  return loaded;
}

}  // namespace

Status Model::Impl::FetchAndLoad() {
  Client::Impl& c = *client;
  const std::shared_ptr<LoadedVersion> current = Current();
  auto fresh = FetchNewest(c, name, *this);
  Status error = fresh.status();
  if (fresh.ok()) {
    const bool same = current != nullptr && current->info.sha256 == fresh->manifest.sha256;
    if (same && !current->info.from_cache_fallback) {
      // The same artifact under a newer serial still raises the replay floor.
      if (fresh->new_document) {
        const Status stored = c.cache->StoreManifest(name, fresh->document);
        if (!stored.ok()) c.ReportError(name, stored);
      }
      std::lock_guard<std::mutex> lock(state_mu);
      last_check = Clock::now();
      last_error = Status::Ok();
      return Status::Ok();
    }
    auto next = Load(c, *fresh);
    if (next.ok()) {
      // Only a version that loads becomes the one the cache falls back to.
      const Status stored = c.cache->StoreManifest(name, fresh->document);
      if (!stored.ok()) c.ReportError(name, stored);
      std::lock_guard<std::mutex> lock(state_mu);
      loaded = std::move(*next);
      last_check = Clock::now();
      last_error = Status::Ok();
      return Status::Ok();
    }
    error = next.status();
  }

  // The server could not give us a good version: keep what runs, else the cache's.
  c.ReportError(name, error);
  if (current != nullptr) {
    std::lock_guard<std::mutex> lock(state_mu);
    last_check = Clock::now();  // retried at the next refresh, not on every Run
    last_error = error;
    return error;
  }
  auto cached = CachedFallback(c, name);
  if (!cached.ok()) {
    c.telemetry.RecordFetch(name, 0, 0, 0, false);
    std::lock_guard<std::mutex> lock(state_mu);
    last_error = error;
    return Status::Of(error.code(), error.message() + (cached.status().code() == StatusCode::kNotFound
                                                       ? "; and no verified version of '" + name + "' is cached"
                                                       : "; the cache failed too: " + cached.status().message()));
  }
  auto fallback = Load(c, *cached);
  if (!fallback.ok()) {
    std::lock_guard<std::mutex> lock(state_mu);
    last_error = error;
    return Status::Of(error.code(), error.message() + "; the cached version failed too: " + fallback.status().message());
  }
  (*fallback)->info.from_cache_fallback = true;
  c.telemetry.RecordCacheFallback(name, (*fallback)->info.version);
  std::lock_guard<std::mutex> lock(state_mu);
  loaded = std::move(*fallback);
  last_check = Clock::now();
  last_error = error;
  return Status::Ok();
}

Status Model::Prefetch() {
  const uint64_t seen = impl_->fetches_done.load();
  std::lock_guard<std::mutex> fetch(impl_->fetch_mu);
  if (impl_->Current() != nullptr) return Status::Ok();  // another caller loaded it meanwhile
  // Callers that queued behind a failed fetch share its answer instead of each waiting out
  // their own retries against a server that is down.
  if (impl_->fetches_done.load() != seen) {
    std::lock_guard<std::mutex> lock(impl_->state_mu);
    return impl_->last_error;
  }
  const Status status = impl_->FetchAndLoad();
  ++impl_->fetches_done;
  return status;
}

std::future<Status> Model::PrefetchAsync() {
  return std::async(std::launch::async, [this] { return Prefetch(); });
}

Status Model::Refresh() {
  std::lock_guard<std::mutex> fetch(impl_->fetch_mu);
  return impl_->FetchAndLoad();
}

Status Model::Run(const std::vector<NamedTensor>& inputs, std::vector<NamedTensor>* outputs) {
  Client::Impl& c = *impl_->client;
  std::shared_ptr<LoadedVersion> version = impl_->Current();
  if (version == nullptr) {
    const Status fetched = Prefetch();
    version = impl_->Current();
    if (version == nullptr) {
      c.telemetry.RecordRun(impl_->name, 0, 0, false);
      return fetched;
    }
  }
  std::unique_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(version->pool_mu);
    if (!version->idle.empty()) {
      session = std::move(version->idle.back());
      version->idle.pop_back();
    }
  }
  if (session == nullptr) {
    SessionOptions options;
    options.threads = c.config.threads_per_run;
    auto made = Session::Create(version->model, options);
    if (!made.ok()) {
      c.telemetry.RecordRun(impl_->name, version->info.version, 0, false);
      return made.status();
    }
    session = std::move(*made);
  }
  const auto start = Clock::now();
  const Status ran = session->Run(inputs, outputs);
  c.telemetry.RecordRun(impl_->name, version->info.version, SecondsSince(start), ran.ok());
  {
    std::lock_guard<std::mutex> lock(version->pool_mu);
    version->idle.push_back(std::move(session));
  }
  return ran;
}

std::future<Result<std::vector<NamedTensor>>> Model::RunAsync(std::vector<NamedTensor> inputs) {
  return std::async(std::launch::async, [this, inputs = std::move(inputs)]() -> Result<std::vector<NamedTensor>> {
    std::vector<NamedTensor> outputs;
    KINGLET_RETURN_IF_ERROR(Run(inputs, &outputs));
    return outputs;
  });
}

ModelInfo Model::info() const {
  std::lock_guard<std::mutex> lock(impl_->state_mu);
  ModelInfo info;
  if (impl_->loaded != nullptr) info = impl_->loaded->info;
  info.name = impl_->name;
  info.downloaded_bytes = impl_->downloaded_bytes;
  info.resumed_from = impl_->resumed_from;
  return info;
}

Status Model::last_error() const {
  std::lock_guard<std::mutex> lock(impl_->state_mu);
  return impl_->last_error;
}

}  // namespace kinglet::sdk
