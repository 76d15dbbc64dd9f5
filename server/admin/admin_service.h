// The admin gRPC service (proto/kinglet/admin/v1/admin.proto). Each handler checks the token,
// validates the request, calls the catalog / stores / job runner, and converts the Status to a
// grpc::Status in one place (ToGrpcStatus).
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "admin/upload_store.h"
#include "blobs/blob_store.h"
#include "catalog/catalog.h"
#include "jobs/job_runner.h"
#include "metrics/daemon_metrics.h"
#include "telemetry/telemetry_store.h"
#include "kinglet/admin/v1/admin.grpc.pb.h"

namespace kinglet::server {

namespace pb = ::kinglet::admin::v1;

grpc::Status ToGrpcStatus(const Status& status);

class AdminService final : public pb::Admin::Service {
 public:
  // `telemetry` and `metrics` may be null (no telemetry queries / no counting).
  AdminService(Catalog* catalog, BlobStore* blobs, UploadStore* uploads, JobRunner* jobs,
               std::vector<std::string> token_hashes, TelemetryStore* telemetry = nullptr,
               DaemonMetrics* metrics = nullptr);

  grpc::Status Upload(grpc::ServerContext* ctx, grpc::ServerReader<pb::UploadRequest>* reader,
                      pb::UploadResponse* response) override;
  grpc::Status GetUpload(grpc::ServerContext* ctx, const pb::GetUploadRequest* request, pb::UploadState* response) override;
  grpc::Status ListModels(grpc::ServerContext* ctx, const pb::ListModelsRequest* request,
                          pb::ListModelsResponse* response) override;
  grpc::Status GetModel(grpc::ServerContext* ctx, const pb::GetModelRequest* request, pb::Model* response) override;
  grpc::Status ListJobs(grpc::ServerContext* ctx, const pb::ListJobsRequest* request, pb::ListJobsResponse* response) override;
  grpc::Status WatchJob(grpc::ServerContext* ctx, const pb::WatchJobRequest* request,
                        grpc::ServerWriter<pb::Job>* writer) override;
  grpc::Status PutDeviceClass(grpc::ServerContext* ctx, const pb::DeviceClass* request, pb::DeviceClass* response) override;
  grpc::Status ListDeviceClasses(grpc::ServerContext* ctx, const pb::ListDeviceClassesRequest* request,
                                 pb::ListDeviceClassesResponse* response) override;
  grpc::Status DeleteDeviceClass(grpc::ServerContext* ctx, const pb::DeleteDeviceClassRequest* request,
                                 pb::DeleteDeviceClassResponse* response) override;
  grpc::Status SetRollout(grpc::ServerContext* ctx, const pb::SetRolloutRequest* request, pb::Rollout* response) override;
  grpc::Status Rollback(grpc::ServerContext* ctx, const pb::RollbackRequest* request, pb::Rollout* response) override;
  grpc::Status DeleteVersion(grpc::ServerContext* ctx, const pb::DeleteVersionRequest* request,
                             pb::DeleteVersionResponse* response) override;
  grpc::Status GetTelemetry(grpc::ServerContext* ctx, const pb::GetTelemetryRequest* request,
                            pb::TelemetryReport* response) override;

 private:
  Status Authorize(const grpc::ServerContext* ctx) const;
  Status DoUpload(grpc::ServerReader<pb::UploadRequest>* reader, pb::UploadResponse* response);
  Status FinishUpload(const UploadPlan& plan, pb::UploadResponse* response);
  Status DoGetModel(const std::string& name, pb::Model* response);

  Catalog* catalog_;
  BlobStore* blobs_;
  UploadStore* uploads_;
  JobRunner* jobs_;
  std::vector<std::string> token_hashes_;
  TelemetryStore* telemetry_;
  DaemonMetrics* metrics_;
  // Upload ids with a stream in progress: a second stream for the same id is refused.
  std::mutex uploads_mu_;
  std::set<std::string> active_uploads_;  // guarded by uploads_mu_
};

}  // namespace kinglet::server
