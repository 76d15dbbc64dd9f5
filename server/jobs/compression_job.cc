#include "jobs/compression_job.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "kinglet/compression/compress.h"
#include "kinglet/model.h"
#include "kinglet/npy.h"
#include "kinglet/session.h"

namespace kinglet::server {
namespace {

Result<Tensor> LoadNpyBlob(BlobStore* blobs, const std::string& sha256, const std::string& what) {
  KINGLET_ASSIGN_OR_RETURN(const std::string bytes, blobs->Read(sha256));
  auto tensor = ParseNpy(bytes);
  if (!tensor.ok()) return tensor.status().WithContext(what);
  return tensor;
}

// Median wall time of one single-example inference, after a warm-up run.
Result<double> MedianLatencyMs(const std::string& kgl, const Tensor& inputs) {
  KINGLET_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::LoadBuffer(kgl.data(), kgl.size()));
  KINGLET_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(model, SessionOptions{1}));
  Shape row = inputs.shape();
  row[0] = 1;
  const std::vector<NamedTensor> in = {
      {model->inputs().at(0).name, Tensor::View(DataType::kFloat32, row, const_cast<void*>(inputs.raw_data()))}};
  std::vector<NamedTensor> out;
  constexpr int kRuns = 21;
  std::vector<double> ms;
  for (int i = 0; i <= kRuns; ++i) {
    const auto start = std::chrono::steady_clock::now();
    KINGLET_RETURN_IF_ERROR(session->Run(in, &out));
    const double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (i > 0) ms.push_back(elapsed);  // the first run pays for first-touch page faults
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

Result<CompressionJobResult> RunCompressionJob(const JobRecord& job, const VersionRecord& version, BlobStore* blobs,
                                               int threads, const CompressionJobHooks& hooks) {
  KINGLET_ASSIGN_OR_RETURN(const std::string source_path, blobs->PathOf(version.source_sha256));
  if (!blobs->Contains(version.source_sha256)) {
    return Status::NotFound("the uploaded model (blob " + version.source_sha256 + ") is missing from the blob store");
  }
  KINGLET_ASSIGN_OR_RETURN(Tensor eval_inputs, LoadNpyBlob(blobs, version.eval_inputs_sha256, "evaluation inputs"));
  Tensor labels;
  if (!version.eval_labels_sha256.empty()) {
    KINGLET_ASSIGN_OR_RETURN(labels, LoadNpyBlob(blobs, version.eval_labels_sha256, "evaluation labels"));
  }
  Tensor calibration = eval_inputs;
  if (!version.calibration_sha256.empty()) {
    KINGLET_ASSIGN_OR_RETURN(calibration, LoadNpyBlob(blobs, version.calibration_sha256, "calibration data"));
  }

  compression::CompressOptions options;
  KINGLET_ASSIGN_OR_RETURN(options.profile, compression::ParseProfile(job.profile));
  options.max_drop_pp = version.max_drop_pp;
  options.threads = threads;
  options.progress = hooks.progress;
  options.cancelled = hooks.cancelled;
  KINGLET_ASSIGN_OR_RETURN(compression::CompressResult result,
                           compression::Compress(source_path, eval_inputs, labels, calibration, options));
  KINGLET_ASSIGN_OR_RETURN(const double latency, MedianLatencyMs(result.kgl, eval_inputs));
  KINGLET_ASSIGN_OR_RETURN(const std::string sha, blobs->Put(result.kgl));

  const compression::CompressReport& r = result.report;
  CompressionJobResult out;
  out.artifact = {job.model, job.version, job.device_class, sha, result.kgl.size(), r.ratio(),
                  r.accuracy_before, r.accuracy_after, latency};
  out.note = r.note;
  if (!r.met_budget && out.note.empty()) out.note = "the accuracy budget could not be met; this is the best artifact found";
  return out;
}

}  // namespace kinglet::server
