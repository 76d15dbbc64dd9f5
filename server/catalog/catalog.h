// The catalog: every model, version, device class, compression job, artifact and rollout, in
// one SQLite file (WAL mode, so the HTTP side reads while a job writes). Every multi-step change
// is one transaction, so a crash leaves the catalog before or after it, never between.
// The schema is versioned (PRAGMA user_version) and migrated forward on Open; a catalog from a
// newer kingletd is refused rather than guessed at.
//
// Thread-safe: calls are serialised on one connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "catalog/sqlite.h"
#include "kinglet/status.h"

namespace kinglet::server {

struct DeviceClassRecord {
  std::string name;
  std::string isa;                        // "" matches any
  std::vector<std::string> cpu_features;  // all required
  uint32_t min_ram_mib = 0;
  std::string profile;  // low | mid | high
};

// What an upload brings: the source model and its evaluation data, all already in the blob
// store (sha256 addresses; "" when an optional file was not given).
struct NewVersion {
  std::string model;
  std::string source_sha256;
  uint64_t source_size = 0;
  std::string eval_inputs_sha256;
  std::string eval_labels_sha256;
  std::string calibration_sha256;
  double max_drop_pp = 0.5;
};

struct VersionRecord {
  std::string model;
  uint32_t version = 0;
  std::string source_sha256;
  uint64_t source_size = 0;
  std::string eval_inputs_sha256;
  std::string eval_labels_sha256;
  std::string calibration_sha256;
  double max_drop_pp = 0;
  int64_t created = 0;
};

enum class JobState { kQueued = 1, kRunning = 2, kSucceeded = 3, kFailed = 4 };

struct JobRecord {
  uint64_t id = 0;
  std::string model;
  uint32_t version = 0;
  std::string device_class;
  std::string profile;  // the device class's profile when the job was queued
  JobState state = JobState::kQueued;
  std::string stage;
  double progress = 0;
  std::string message;
  uint32_t attempts = 0;
  int64_t created = 0;
  int64_t updated = 0;
};

struct ArtifactRecord {
  std::string model;
  uint32_t version = 0;
  std::string device_class;
  std::string sha256;
  uint64_t size = 0;
  double compression_ratio = 0;
  double accuracy_before = -1;
  double accuracy_after = -1;
  double latency_ms = 0;
};

struct RolloutRecord {
  std::string model;
  uint32_t stable_version = 0;  // 0: nothing rolled out
  uint32_t canary_version = 0;  // 0: no partial rollout
  uint32_t percent = 0;
  uint64_t serial = 0;
  int64_t updated = 0;
};

struct ModelSummaryRecord {
  std::string name;
  uint32_t latest_version = 0;
  uint32_t stable_version = 0;
  int64_t created = 0;
};

class Catalog {
 public:
  static constexpr int kSchemaVersion = 1;

  static Result<std::unique_ptr<Catalog>> Open(const std::string& path);

  // Device classes. Put creates or replaces.
  Status PutDeviceClass(const DeviceClassRecord& record);
  Result<std::vector<DeviceClassRecord>> ListDeviceClasses();
  // NotFound if absent; FailedPrecondition for the last class.
  Status DeleteDeviceClass(const std::string& name);

  // Creates the model if needed and its next version, with one queued job per device class,
  // in one transaction.
  Result<std::pair<VersionRecord, std::vector<JobRecord>>> CreateVersion(const NewVersion& request, int64_t now);
  Result<std::vector<ModelSummaryRecord>> ListModels();
  // NotFound for an unknown model.
  Result<std::vector<VersionRecord>> ListVersions(const std::string& model);
  Result<VersionRecord> GetVersion(const std::string& model, uint32_t version);
  // FailedPrecondition while the version is stable or canary. Returns the blobs (sources and
  // artifacts) no other version references any more, for the caller to remove.
  Result<std::vector<std::string>> DeleteVersion(const std::string& model, uint32_t version);

  // Jobs. Claim moves the oldest queued job to running and counts the attempt.
  Result<std::optional<JobRecord>> ClaimNextJob(int64_t now);
  Status UpdateJobProgress(uint64_t id, const std::string& stage, double progress, int64_t now);
  // Records the artifact and marks the job succeeded, atomically.
  Status CompleteJob(uint64_t id, const ArtifactRecord& artifact, const std::string& message, int64_t now);
  Status FailJob(uint64_t id, const std::string& message, int64_t now);
  // At startup: jobs left running by a crash go back to the queue. Returns how many.
  Result<int> RequeueInterruptedJobs(int64_t now);
  Result<JobRecord> GetJob(uint64_t id);
  Result<std::vector<JobRecord>> ListJobs(const std::string& model, bool include_finished);

  // Artifacts of finished jobs only.
  Result<std::vector<ArtifactRecord>> ListArtifacts(const std::string& model, uint32_t version);
  Result<std::optional<ArtifactRecord>> GetArtifact(const std::string& model, uint32_t version,
                                                    const std::string& device_class);

  // True when a version (as source or evaluation data) or an artifact names blob `sha256`.
  Result<bool> IsBlobReferenced(const std::string& sha256);

  // True when some finished job produced blob `sha256` (only those are served to devices; the
  // uploaded sources and evaluation data never are).
  Result<bool> IsArtifact(const std::string& sha256);

  // Rollouts (see proto SetRollout/Rollback for the rules). Every change bumps the serial.
  Result<RolloutRecord> GetRollout(const std::string& model);
  Result<RolloutRecord> SetRollout(const std::string& model, uint32_t version, uint32_t percent, int64_t now);
  Result<RolloutRecord> Rollback(const std::string& model, int64_t now);

  // Bumped by every change that can alter what devices are served (artifacts, rollouts,
  // versions, device classes), so readers can cache derived answers until it moves.
  uint64_t delivery_generation() const { return delivery_generation_.load(std::memory_order_acquire); }

  // Admin token hashes (sha256 hex).
  Status AddAdminTokenHash(const std::string& hash, int64_t now);
  Result<std::vector<std::string>> AdminTokenHashes();

 private:
  explicit Catalog(std::unique_ptr<sql::Database> db) : db_(std::move(db)) {}
  Status Migrate();
  Result<JobRecord> GetJobLocked(uint64_t id);
  Result<RolloutRecord> GetRolloutLocked(const std::string& model);
  Status RequireModelLocked(const std::string& model);

  void BumpDeliveryGeneration() { delivery_generation_.fetch_add(1, std::memory_order_acq_rel); }

  std::mutex mu_;
  std::unique_ptr<sql::Database> db_;  // guarded by mu_
  std::atomic<uint64_t> delivery_generation_{1};
};

const char* JobStateName(JobState state);

}  // namespace kinglet::server
