#include "admin/admin_service.h"

#include <chrono>
#include <ctime>

#include "common/names.h"
#include "crypto/admin_token.h"
#include "kinglet/compression/onnx_importer.h"
#include "kinglet/npy.h"

namespace kinglet::server {
namespace {

constexpr size_t kMaxChunkBytes = 4u << 20;

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

const std::set<std::string>& KnownIsas() {
  static const std::set<std::string> isas = {"", "arm64", "armv7", "x86_64"};
  return isas;
}

pb::JobState ToProto(JobState s) {
  switch (s) {
    case JobState::kQueued: return pb::JOB_STATE_QUEUED;
    case JobState::kRunning: return pb::JOB_STATE_RUNNING;
    case JobState::kSucceeded: return pb::JOB_STATE_SUCCEEDED;
    case JobState::kFailed: return pb::JOB_STATE_FAILED;
  }
  return pb::JOB_STATE_UNSPECIFIED;
}

void ToProto(const JobRecord& j, pb::Job* out) {
  out->set_id(j.id);
  out->set_model(j.model);
  out->set_version(j.version);
  out->set_device_class(j.device_class);
  out->set_state(ToProto(j.state));
  out->set_stage(j.stage);
  out->set_progress(j.progress);
  out->set_message(j.message);
  out->set_attempts(j.attempts);
  out->set_created(static_cast<uint64_t>(j.created));
  out->set_updated(static_cast<uint64_t>(j.updated));
}

void ToProto(const DeviceClassRecord& d, pb::DeviceClass* out) {
  out->set_name(d.name);
  out->set_isa(d.isa);
  for (const std::string& f : d.cpu_features) out->add_cpu_features(f);
  out->set_min_ram_mib(d.min_ram_mib);
  out->set_profile(d.profile);
}

void ToProto(const RolloutRecord& r, pb::Rollout* out) {
  out->set_model(r.model);
  out->set_stable_version(r.stable_version);
  out->set_canary_version(r.canary_version);
  out->set_percent(r.percent);
  out->set_serial(r.serial);
  out->set_updated(static_cast<uint64_t>(r.updated));
}

bool Finished(JobState s) { return s == JobState::kSucceeded || s == JobState::kFailed; }

Status ValidateDeviceClass(const pb::DeviceClass& d) {
  KINGLET_RETURN_IF_ERROR(ValidateName(d.name(), "device class name"));
  if (!KnownIsas().count(d.isa())) {
    return Status::InvalidArgument("isa must be one of arm64, armv7, x86_64 or empty (any), got '" +
                                   d.isa().substr(0, 40) + "'");
  }
  if (d.profile() != "low" && d.profile() != "mid" && d.profile() != "high") {
    return Status::InvalidArgument("profile must be low, mid or high, got '" + d.profile().substr(0, 40) + "'");
  }
  if (d.cpu_features_size() > 32) return Status::InvalidArgument("at most 32 cpu features");
  for (const std::string& f : d.cpu_features()) {
    bool ok = !f.empty() && f.size() <= 32;
    for (char c : f) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) return Status::InvalidArgument("cpu feature '" + f.substr(0, 40) + "' must be 1-32 of [a-z0-9_]");
  }
  return Status::Ok();
}

// An upload is only accepted when its files are what they claim to be, so a corrupt model never
// becomes a version and its jobs never run.
Status CheckUploadedFiles(const UploadPlan& plan, const BlobStore& blobs) {
  KINGLET_ASSIGN_OR_RETURN(const std::string model_path, blobs.PathOf(plan.Find(UploadRole::kModel)->sha256));
  auto graph = compression::ImportOnnxFile(model_path);
  if (!graph.ok()) return graph.status().WithContext("the uploaded model is not a usable ONNX file");
  int64_t eval_rows = -1;
  for (UploadRole role : {UploadRole::kEvalInputs, UploadRole::kEvalLabels, UploadRole::kCalibration}) {
    const UploadFileSpec* f = plan.Find(role);
    if (f == nullptr) continue;
    KINGLET_ASSIGN_OR_RETURN(const std::string bytes, blobs.Read(f->sha256));
    auto tensor = ParseNpy(bytes);
    if (!tensor.ok()) return tensor.status().WithContext(std::string("the ") + UploadRoleName(role));
    if (tensor->shape().empty() || tensor->shape()[0] == 0) {
      return Status::InvalidArgument(std::string("the ") + UploadRoleName(role) + " have no rows");
    }
    if (role == UploadRole::kEvalInputs) eval_rows = tensor->shape()[0];
    if (role == UploadRole::kEvalLabels && (tensor->shape().size() != 1 || tensor->shape()[0] != eval_rows)) {
      return Status::InvalidArgument("the evaluation labels must be [N] with N = " + std::to_string(eval_rows) +
                                     " (one per evaluation input), got " + ShapeToString(tensor->shape()));
    }
  }
  return Status::Ok();
}

}  // namespace

grpc::Status ToGrpcStatus(const Status& s) {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (s.code()) {
    case StatusCode::kOk: return grpc::Status::OK;
    case StatusCode::kInvalidArgument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case StatusCode::kNotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case StatusCode::kCorruption: code = grpc::StatusCode::DATA_LOSS; break;
    case StatusCode::kUnsupported: code = grpc::StatusCode::UNIMPLEMENTED; break;
    case StatusCode::kIOError: code = grpc::StatusCode::UNAVAILABLE; break;
    case StatusCode::kInternal: code = grpc::StatusCode::INTERNAL; break;
    case StatusCode::kAlreadyExists: code = grpc::StatusCode::ALREADY_EXISTS; break;
    case StatusCode::kFailedPrecondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case StatusCode::kUnauthenticated: code = grpc::StatusCode::UNAUTHENTICATED; break;
    case StatusCode::kResourceExhausted: code = grpc::StatusCode::RESOURCE_EXHAUSTED; break;
    case StatusCode::kCancelled: code = grpc::StatusCode::CANCELLED; break;
  }
  return grpc::Status(code, s.message());
}

AdminService::AdminService(Catalog* catalog, BlobStore* blobs, UploadStore* uploads, JobRunner* jobs,
                           std::vector<std::string> token_hashes, TelemetryStore* telemetry, DaemonMetrics* metrics)
    : catalog_(catalog),
      blobs_(blobs),
      uploads_(uploads),
      jobs_(jobs),
      token_hashes_(std::move(token_hashes)),
      telemetry_(telemetry),
      metrics_(metrics) {}

Status AdminService::Authorize(const grpc::ServerContext* ctx) const {
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return Status::Unauthenticated("no admin token; pass --token, set KINGLET_TOKEN or run `kinglet login`");
  }
  const std::string_view header(it->second.data(), it->second.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (header.substr(0, kBearer.size()) == kBearer) {
    const std::string_view token = header.substr(kBearer.size());
    bool match = false;
    for (const std::string& hash : token_hashes_) match |= AdminTokenMatches(token, hash);  // no early exit
    if (match) return Status::Ok();
  }
  return Status::Unauthenticated("the admin token is wrong (see admin.token in kingletd's data directory)");
}

#define KINGLET_AUTHORIZE(ctx)                                \
  do {                                                        \
    const Status auth_status = Authorize(ctx);                \
    if (!auth_status.ok()) return ToGrpcStatus(auth_status);  \
  } while (false)

grpc::Status AdminService::Upload(grpc::ServerContext* ctx, grpc::ServerReader<pb::UploadRequest>* reader,
                                  pb::UploadResponse* response) {
  KINGLET_AUTHORIZE(ctx);
  const Status uploaded = DoUpload(reader, response);
  if (metrics_ != nullptr) metrics_->CountUpload(uploaded.ok() ? "ok" : "failed");
  return ToGrpcStatus(uploaded);
}

Status AdminService::DoUpload(grpc::ServerReader<pb::UploadRequest>* reader, pb::UploadResponse* response) {
  pb::UploadRequest request;
  if (!reader->Read(&request) || !request.has_start()) {
    return Status::InvalidArgument("an upload must begin with its start message (upload id, model, files)");
  }
  const pb::UploadStart& start = request.start();
  UploadPlan plan;
  plan.upload_id = start.upload_id();
  plan.model = start.model();
  plan.max_drop_pp = start.max_drop_pp();
  for (const pb::UploadFile& f : start.files()) {
    plan.files.push_back({static_cast<UploadRole>(f.role()), f.size(), f.sha256()});
  }
  KINGLET_RETURN_IF_ERROR(uploads_->Begin(plan));
  {
    std::lock_guard<std::mutex> lock(uploads_mu_);
    if (!active_uploads_.insert(plan.upload_id).second) {
      return Status::FailedPrecondition("upload " + plan.upload_id + " is already streaming on another connection");
    }
  }
  struct Release {
    AdminService* self;
    std::string id;
    ~Release() {
      std::lock_guard<std::mutex> lock(self->uploads_mu_);
      self->active_uploads_.erase(id);
    }
  } release{this, plan.upload_id};

  while (reader->Read(&request)) {
    if (!request.has_chunk()) return Status::InvalidArgument("only chunks may follow the start message");
    const pb::UploadChunk& chunk = request.chunk();
    const UploadFileSpec* file = plan.Find(static_cast<UploadRole>(chunk.role()));
    if (file == nullptr) return Status::InvalidArgument("a chunk names a file the upload did not announce");
    if (chunk.data().size() > kMaxChunkBytes) return Status::InvalidArgument("chunks must be at most 4 MiB");
    KINGLET_RETURN_IF_ERROR(uploads_->Append(plan.upload_id, *file, chunk.offset(), chunk.data()));
  }
  for (const UploadFileSpec& f : plan.files) {
    KINGLET_ASSIGN_OR_RETURN(const uint64_t have, uploads_->Received(plan.upload_id, f.role));
    if (have != f.size) {
      return Status::FailedPrecondition(std::string("the upload ended with ") + std::to_string(have) + " of " +
                                        std::to_string(f.size) + " bytes of the " + UploadRoleName(f.role) +
                                        "; resume it with the same upload id");
    }
  }
  return FinishUpload(plan, response);
}

Status AdminService::FinishUpload(const UploadPlan& plan, pb::UploadResponse* response) {
  for (const UploadFileSpec& f : plan.files) {
    const Status adopted = blobs_->Adopt(uploads_->PartPath(plan.upload_id, f.role), f.sha256);
    if (adopted.code() == StatusCode::kCorruption) {
      (void)uploads_->Remove(plan.upload_id);  // the bytes are wrong: resuming cannot fix them
      return Status::InvalidArgument(std::string("the ") + UploadRoleName(f.role) +
                                     " does not match its sha256; upload it again");
    }
    KINGLET_RETURN_IF_ERROR(adopted);
  }
  const Status checked = CheckUploadedFiles(plan, *blobs_);
  if (!checked.ok()) {
    (void)uploads_->Remove(plan.upload_id);
    // The rejected files leave the blob store again, unless an existing version shares them.
    for (const UploadFileSpec& f : plan.files) {
      auto referenced = catalog_->IsBlobReferenced(f.sha256);
      if (referenced.ok() && !*referenced) (void)blobs_->Remove(f.sha256);
    }
    return checked;
  }
  NewVersion v;
  v.model = plan.model;
  v.source_sha256 = plan.Find(UploadRole::kModel)->sha256;
  v.source_size = plan.Find(UploadRole::kModel)->size;
  v.eval_inputs_sha256 = plan.Find(UploadRole::kEvalInputs)->sha256;
  if (const UploadFileSpec* f = plan.Find(UploadRole::kEvalLabels)) v.eval_labels_sha256 = f->sha256;
  if (const UploadFileSpec* f = plan.Find(UploadRole::kCalibration)) v.calibration_sha256 = f->sha256;
  v.max_drop_pp = plan.max_drop_pp;
  KINGLET_ASSIGN_OR_RETURN(auto created, catalog_->CreateVersion(v, Now()));
  (void)uploads_->Remove(plan.upload_id);
  jobs_->Wake();
  response->set_model(created.first.model);
  response->set_version(created.first.version);
  for (const JobRecord& j : created.second) ToProto(j, response->add_jobs());
  return Status::Ok();
}

grpc::Status AdminService::GetUpload(grpc::ServerContext* ctx, const pb::GetUploadRequest* request,
                                     pb::UploadState* response) {
  KINGLET_AUTHORIZE(ctx);
  auto plan = uploads_->Load(request->upload_id());
  if (!plan.ok()) return ToGrpcStatus(plan.status());
  response->set_upload_id(plan->upload_id);
  response->set_model(plan->model);
  for (const UploadFileSpec& f : plan->files) {
    auto have = uploads_->Received(plan->upload_id, f.role);
    if (!have.ok()) return ToGrpcStatus(have.status());
    pb::FileProgress* p = response->add_files();
    p->set_role(static_cast<pb::FileRole>(f.role));
    p->set_received(*have);
    p->set_size(f.size);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::ListModels(grpc::ServerContext* ctx, const pb::ListModelsRequest*,
                                      pb::ListModelsResponse* response) {
  KINGLET_AUTHORIZE(ctx);
  auto models = catalog_->ListModels();
  if (!models.ok()) return ToGrpcStatus(models.status());
  for (const ModelSummaryRecord& m : *models) {
    pb::ModelSummary* s = response->add_models();
    s->set_name(m.name);
    s->set_latest_version(m.latest_version);
    s->set_stable_version(m.stable_version);
    s->set_created(static_cast<uint64_t>(m.created));
  }
  return grpc::Status::OK;
}

Status AdminService::DoGetModel(const std::string& name, pb::Model* response) {
  KINGLET_RETURN_IF_ERROR(ValidateName(name, "model name"));
  KINGLET_ASSIGN_OR_RETURN(std::vector<VersionRecord> versions, catalog_->ListVersions(name));
  KINGLET_ASSIGN_OR_RETURN(std::vector<JobRecord> jobs, catalog_->ListJobs(name, true));
  response->set_name(name);
  for (const VersionRecord& v : versions) {
    pb::Version* out = response->add_versions();
    out->set_version(v.version);
    out->set_source_sha256(v.source_sha256);
    out->set_source_size(v.source_size);
    out->set_max_drop_pp(v.max_drop_pp);
    out->set_created(static_cast<uint64_t>(v.created));
    KINGLET_ASSIGN_OR_RETURN(std::vector<ArtifactRecord> artifacts, catalog_->ListArtifacts(name, v.version));
    for (const JobRecord& j : jobs) {
      if (j.version != v.version) continue;
      pb::Artifact* a = out->add_artifacts();
      a->set_model(name);
      a->set_version(v.version);
      a->set_device_class(j.device_class);
      for (const ArtifactRecord& r : artifacts) {
        if (r.device_class != j.device_class || j.state != JobState::kSucceeded) continue;
        a->set_sha256(r.sha256);
        a->set_size_bytes(r.size);
        a->set_compression_ratio(r.compression_ratio);
        a->set_accuracy_before(r.accuracy_before);
        a->set_accuracy_after(r.accuracy_after);
        a->set_latency_ms(r.latency_ms);
      }
      ToProto(j, a->mutable_job());
    }
  }
  KINGLET_ASSIGN_OR_RETURN(RolloutRecord rollout, catalog_->GetRollout(name));
  ToProto(rollout, response->mutable_rollout());
  return Status::Ok();
}

grpc::Status AdminService::GetModel(grpc::ServerContext* ctx, const pb::GetModelRequest* request, pb::Model* response) {
  KINGLET_AUTHORIZE(ctx);
  return ToGrpcStatus(DoGetModel(request->name(), response));
}

grpc::Status AdminService::ListJobs(grpc::ServerContext* ctx, const pb::ListJobsRequest* request,
                                    pb::ListJobsResponse* response) {
  KINGLET_AUTHORIZE(ctx);
  if (!request->model().empty()) {
    const Status valid = ValidateName(request->model(), "model name");
    if (!valid.ok()) return ToGrpcStatus(valid);
  }
  auto jobs = catalog_->ListJobs(request->model(), request->include_finished());
  if (!jobs.ok()) return ToGrpcStatus(jobs.status());
  for (const JobRecord& j : *jobs) ToProto(j, response->add_jobs());
  return grpc::Status::OK;
}

grpc::Status AdminService::WatchJob(grpc::ServerContext* ctx, const pb::WatchJobRequest* request,
                                    grpc::ServerWriter<pb::Job>* writer) {
  KINGLET_AUTHORIZE(ctx);
  uint64_t revision = jobs_->revision();
  std::string last_sent;
  while (!ctx->IsCancelled()) {
    auto job = catalog_->GetJob(request->id());
    if (!job.ok()) return ToGrpcStatus(job.status());
    pb::Job out;
    ToProto(*job, &out);
    out.clear_updated();  // a bare timestamp change is not news
    const std::string key = out.SerializeAsString();
    if (key != last_sent) {
      out.set_updated(static_cast<uint64_t>(job->updated));
      if (!writer->Write(out)) return grpc::Status::OK;  // the client went away
      last_sent = key;
    }
    if (Finished(job->state)) return grpc::Status::OK;
    revision = jobs_->WaitForChange(revision, std::chrono::milliseconds(1000));
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the watch");
}

grpc::Status AdminService::PutDeviceClass(grpc::ServerContext* ctx, const pb::DeviceClass* request,
                                          pb::DeviceClass* response) {
  KINGLET_AUTHORIZE(ctx);
  const Status valid = ValidateDeviceClass(*request);
  if (!valid.ok()) return ToGrpcStatus(valid);
  DeviceClassRecord record{request->name(), request->isa(),
                           std::vector<std::string>(request->cpu_features().begin(), request->cpu_features().end()),
                           request->min_ram_mib(), request->profile()};
  const Status put = catalog_->PutDeviceClass(record);
  if (!put.ok()) return ToGrpcStatus(put);
  *response = *request;
  return grpc::Status::OK;
}

grpc::Status AdminService::ListDeviceClasses(grpc::ServerContext* ctx, const pb::ListDeviceClassesRequest*,
                                             pb::ListDeviceClassesResponse* response) {
  KINGLET_AUTHORIZE(ctx);
  auto classes = catalog_->ListDeviceClasses();
  if (!classes.ok()) return ToGrpcStatus(classes.status());
  for (const DeviceClassRecord& d : *classes) ToProto(d, response->add_device_classes());
  return grpc::Status::OK;
}

grpc::Status AdminService::DeleteDeviceClass(grpc::ServerContext* ctx, const pb::DeleteDeviceClassRequest* request,
                                             pb::DeleteDeviceClassResponse*) {
  KINGLET_AUTHORIZE(ctx);
  const Status valid = ValidateName(request->name(), "device class name");
  if (!valid.ok()) return ToGrpcStatus(valid);
  return ToGrpcStatus(catalog_->DeleteDeviceClass(request->name()));
}

grpc::Status AdminService::SetRollout(grpc::ServerContext* ctx, const pb::SetRolloutRequest* request,
                                      pb::Rollout* response) {
  KINGLET_AUTHORIZE(ctx);
  const Status valid = ValidateName(request->model(), "model name");
  if (!valid.ok()) return ToGrpcStatus(valid);
  auto rollout = catalog_->SetRollout(request->model(), request->version(), request->percent(), Now());
  if (!rollout.ok()) return ToGrpcStatus(rollout.status());
  ToProto(*rollout, response);
  return grpc::Status::OK;
}

grpc::Status AdminService::Rollback(grpc::ServerContext* ctx, const pb::RollbackRequest* request, pb::Rollout* response) {
  KINGLET_AUTHORIZE(ctx);
  const Status valid = ValidateName(request->model(), "model name");
  if (!valid.ok()) return ToGrpcStatus(valid);
  auto rollout = catalog_->Rollback(request->model(), Now());
  if (!rollout.ok()) return ToGrpcStatus(rollout.status());
  ToProto(*rollout, response);
  return grpc::Status::OK;
}

grpc::Status AdminService::DeleteVersion(grpc::ServerContext* ctx, const pb::DeleteVersionRequest* request,
                                         pb::DeleteVersionResponse*) {
  KINGLET_AUTHORIZE(ctx);
  const Status valid = ValidateName(request->model(), "model name");
  if (!valid.ok()) return ToGrpcStatus(valid);
  auto orphans = catalog_->DeleteVersion(request->model(), request->version());
  if (!orphans.ok()) return ToGrpcStatus(orphans.status());
  // The catalog no longer names these blobs; removing them is garbage collection, so a failure
  // here leaves a stray file, never a dangling reference.
  for (const std::string& sha : *orphans) (void)blobs_->Remove(sha);
  return grpc::Status::OK;
}

grpc::Status AdminService::GetTelemetry(grpc::ServerContext* ctx, const pb::GetTelemetryRequest* request,
                                        pb::TelemetryReport* response) {
  KINGLET_AUTHORIZE(ctx);
  const Status valid = ValidateName(request->model(), "model name");
  if (!valid.ok()) return ToGrpcStatus(valid);
  if (telemetry_ == nullptr) return ToGrpcStatus(Status::Unsupported("this server keeps no telemetry"));
  auto versions = catalog_->ListVersions(request->model());
  if (!versions.ok()) return ToGrpcStatus(versions.status());
  const uint32_t hours = request->hours() == 0 ? 24 : std::min<uint32_t>(request->hours(), 24 * 365);
  const int64_t now = Now();
  const int64_t since = now - static_cast<int64_t>(hours) * 3600;
  auto rows = telemetry_->Series(request->model(), since, 0);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  response->set_model(request->model());
  response->set_since(static_cast<uint64_t>(since));
  response->set_now(static_cast<uint64_t>(now));
  for (const TelemetryRow& r : *rows) {
    pb::TelemetryRow* out = response->add_rows();
    const TelemetryCounts& c = r.counts;
    out->set_version(r.version);
    out->set_device_class(r.device_class);
    out->set_runs(c.runs);
    out->set_run_errors(c.run_errors);
    out->set_loads(c.loads);
    out->set_load_errors(c.load_errors);
    out->set_fetches(c.fetches);
    out->set_fetch_errors(c.fetch_errors);
    out->set_fetch_bytes(c.fetch_bytes);
    out->set_cache_fallbacks(c.cache_fallbacks);
    out->set_p50_seconds(HistogramQuantile(c.latency, 0.5));
    out->set_p90_seconds(HistogramQuantile(c.latency, 0.9));
    out->set_p99_seconds(HistogramQuantile(c.latency, 0.99));
    out->set_mean_seconds(c.runs ? static_cast<double>(c.latency_sum_us) / 1e6 / static_cast<double>(c.runs) : 0);
    out->set_fetch_p50_seconds(HistogramQuantile(c.fetch_latency, 0.5));
    out->set_fetch_p90_seconds(HistogramQuantile(c.fetch_latency, 0.9));
  }
  return grpc::Status::OK;
}

}  // namespace kinglet::server
