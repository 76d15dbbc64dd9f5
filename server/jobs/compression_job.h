// One compression job: a model version's source and evaluation data from the blob store,
// xqueeze with the device class's profile and the upload's budget, the artifact back into the
// blob store, and its size, ratio, accuracy and engine latency for the catalog.
#pragma once

#include <functional>
#include <string>

#include "blobs/blob_store.h"
#include "catalog/catalog.h"
#include "kinglet/status.h"

namespace kinglet::server {

struct CompressionJobHooks {
  // Stage name and progress in [0, 1], as xqueeze reports them.
  std::function<void(const std::string& stage, double fraction)> progress;
  // Polled between steps; true stops the job with kCancelled.
  std::function<bool()> cancelled;
};

struct CompressionJobResult {
  ArtifactRecord artifact;
  // The compressor's note (e.g. the budget could not be met), or "".
  std::string note;
};

// Runs `job` for `version`. `threads` evaluation workers (0 = all cores). The artifact is in
// `blobs` when this returns OK; the caller records it in the catalog.
Result<CompressionJobResult> RunCompressionJob(const JobRecord& job, const VersionRecord& version, BlobStore* blobs,
                                               int threads, const CompressionJobHooks& hooks);

}  // namespace kinglet::server
