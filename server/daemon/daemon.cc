#include "daemon/daemon.h"

#include <ctime>
#include <ostream>

#include "common/file_io.h"
#include "crypto/admin_token.h"

namespace kinglet::server {
namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// Low-end phones get the smallest artifacts (they have the least bandwidth, storage and
// memory); desktops and emulators the most exact ones.
const DeviceClassRecord kDefaultClasses[] = {
    {"arm64-high", "arm64", {"neon", "dotprod"}, 4096, "mid"},
    {"arm64-low", "arm64", {"neon"}, 0, "high"},
    {"armv7-low", "armv7", {"neon"}, 0, "high"},
    {"x86-64", "x86_64", {"avx2", "fma"}, 0, "low"},
};

}  // namespace

Daemon::~Daemon() { Stop(); }

Result<std::unique_ptr<Daemon>> Daemon::Open(const DaemonConfig& config, std::ostream& log) {
  std::unique_ptr<Daemon> d(new Daemon(config));
  const std::string& dir = config.data_dir;
  KINGLET_RETURN_IF_ERROR(MakeDirectories(dir, 0700));
  KINGLET_ASSIGN_OR_RETURN(d->catalog_, Catalog::Open(dir + "/catalog.sqlite"));
  KINGLET_ASSIGN_OR_RETURN(d->blobs_, BlobStore::Open(dir + "/blobs"));
  KINGLET_ASSIGN_OR_RETURN(d->telemetry_store_, TelemetryStore::Open(dir + "/telemetry.sqlite"));
  KINGLET_RETURN_IF_ERROR(MakeDirectories(dir + "/uploads", 0700));
  d->uploads_ = std::make_unique<UploadStore>(dir + "/uploads", config.max_upload_mb << 20);
  constexpr int64_t kAbandonedUploadSeconds = 7 * 24 * 3600;
  if (const int stale = d->uploads_->RemoveStale(kAbandonedUploadSeconds)) {
    log << "kingletd: removed " << stale << " upload(s) abandoned for a week\n";
  }
  KINGLET_ASSIGN_OR_RETURN(d->key_, SigningKey::LoadOrCreate(dir + "/signing.key", dir + "/signing.pub"));
  KINGLET_RETURN_IF_ERROR(d->EnsureAdminToken(log));
  KINGLET_RETURN_IF_ERROR(d->EnsureDeviceClasses(log));
  log << "kingletd: data in " << dir << "; signing key " << d->key_->key_id() << " (public key in " << dir
      << "/signing.pub)\n";
  return d;
}

Status Daemon::EnsureAdminToken(std::ostream& log) {
  KINGLET_ASSIGN_OR_RETURN(std::vector<std::string> hashes, catalog_->AdminTokenHashes());
  if (!hashes.empty()) return Status::Ok();
  // The file is written before the hash is stored: a crash in between leaves a token file
  // whose token is adopted on the next start, never a stored hash nobody knows the token of.
  const std::string path = config_.data_dir + "/admin.token";
  std::string token;
  auto existing = ReadFile(path);
  if (existing.ok() && existing->rfind("kgl_", 0) == 0) {
    token = existing->substr(0, existing->find('\n'));
  } else {
    token = GenerateAdminToken();
    KINGLET_RETURN_IF_ERROR(WriteFileAtomically(path, token + "\n", 0600));
  }
  KINGLET_RETURN_IF_ERROR(catalog_->AddAdminTokenHash(HashAdminToken(token), Now()));
  log << "kingletd: first start; admin token (shown once, also in " << path << "):\n  " << token << "\n";
  return Status::Ok();
}

Status Daemon::EnsureDeviceClasses(std::ostream& log) {
  KINGLET_ASSIGN_OR_RETURN(std::vector<DeviceClassRecord> classes, catalog_->ListDeviceClasses());
  if (!classes.empty()) return Status::Ok();
  for (const DeviceClassRecord& c : kDefaultClasses) KINGLET_RETURN_IF_ERROR(catalog_->PutDeviceClass(c));
  log << "kingletd: created the default device classes (kinglet device-classes lists them)\n";
  return Status::Ok();
}

Status Daemon::Start(std::ostream& log) {
  JobRunnerOptions options;
  options.workers = config_.workers;
  options.threads_per_job = config_.job_threads;
  jobs_ = std::make_unique<JobRunner>(catalog_.get(), blobs_.get(), options);
  KINGLET_RETURN_IF_ERROR(jobs_->Start());
  KINGLET_ASSIGN_OR_RETURN(std::vector<std::string> hashes, catalog_->AdminTokenHashes());
  admin_ = std::make_unique<AdminService>(catalog_.get(), blobs_.get(), uploads_.get(), jobs_.get(), hashes,
                                          telemetry_store_.get(), &metrics_);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config_.grpc_listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(admin_.get());
  builder.SetMaxReceiveMessageSize(8 << 20);  // 4 MiB chunks plus framing
  grpc_ = builder.BuildAndStart();
  if (!grpc_ || port == 0) {
    return Status::IOError("cannot listen for gRPC on " + config_.grpc_listen +
                           " (in use? pass --grpc-listen HOST:PORT)");
  }
  log << "kingletd: admin gRPC on " << config_.grpc_listen << "\n";

  DeliveryOptions delivery;
  delivery.public_url = config_.public_url;
  delivery.manifest_ttl_seconds = config_.manifest_ttl_seconds;
  delivery.blob_cache_bytes = config_.blob_cache_mb << 20;
  delivery_ = std::make_unique<DeliveryService>(catalog_.get(), blobs_.get(), key_.get(), delivery);
  telemetry_ = std::make_unique<TelemetryService>(catalog_.get(), telemetry_store_.get(), &metrics_, TelemetryOptions{});
  routes_ = std::make_unique<HttpRoutes>(delivery_.get(), telemetry_.get(), &metrics_);
  http_ = std::make_unique<HttpServer>([routes = routes_.get()](const HttpRequestView& r) { return routes->Handle(r); },
                                       HttpServerOptions{config_.http_listen, config_.http_threads});
  KINGLET_RETURN_IF_ERROR(http_->Start());
  log << "kingletd: HTTP on " << config_.http_listen
      << " (manifests, blobs, /v1/keys, /v1/telemetry, /metrics, /dashboard, /healthz)\n";
  return Status::Ok();
}

void Daemon::Stop() {
  if (http_) http_->Stop();
  if (grpc_) {
    grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc_.reset();
  }
  if (jobs_) jobs_->Stop();
}

}  // namespace kinglet::server
