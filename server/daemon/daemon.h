// kingletd's parts wired together: the data directory (first start creates the catalog, blob
// store, signing key, admin token and default device classes), the job runner, the admin gRPC
// server and the HTTP delivery server.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "admin/admin_service.h"
#include "admin/upload_store.h"
#include "blobs/blob_store.h"
#include "catalog/catalog.h"
#include "crypto/signing_key.h"
#include "daemon/config.h"
#include "delivery/delivery_service.h"
#include "daemon/http_routes.h"
#include "delivery/http_server.h"
#include "metrics/daemon_metrics.h"
#include "telemetry/telemetry_service.h"
#include "telemetry/telemetry_store.h"
#include "jobs/job_runner.h"

namespace kinglet::server {

class Daemon {
 public:
  // Opens (on first start: creates) everything under config.data_dir. Messages for the
  // operator (the new admin token, paths) go to `log`.
  static Result<std::unique_ptr<Daemon>> Open(const DaemonConfig& config, std::ostream& log);
  ~Daemon();

  // Starts the job runner and the gRPC and HTTP servers; returns once they listen.
  Status Start(std::ostream& log);
  // Stops accepting calls, cancels running jobs (they rerun on the next start), joins.
  void Stop();

 private:
  explicit Daemon(DaemonConfig config) : config_(std::move(config)) {}
  Status EnsureAdminToken(std::ostream& log);
  Status EnsureDeviceClasses(std::ostream& log);

  DaemonConfig config_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<UploadStore> uploads_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<JobRunner> jobs_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<TelemetryStore> telemetry_store_;
  DaemonMetrics metrics_;
  std::unique_ptr<DeliveryService> delivery_;
  std::unique_ptr<TelemetryService> telemetry_;
  std::unique_ptr<HttpRoutes> routes_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<grpc::Server> grpc_;
};

}  // namespace kinglet::server
