#include "catalog/catalog.h"

#include <set>

namespace kinglet::server {
namespace {

// Each entry takes the schema from version i to i + 1; never edit one that has shipped.
const char* const kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE device_classes (
  name TEXT PRIMARY KEY,
  isa TEXT NOT NULL,
  cpu_features TEXT NOT NULL,          -- comma-separated
  min_ram_mib INTEGER NOT NULL,
  profile TEXT NOT NULL
);
CREATE TABLE models (
  name TEXT PRIMARY KEY,
  created INTEGER NOT NULL
);
CREATE TABLE versions (
  model TEXT NOT NULL REFERENCES models(name),
  version INTEGER NOT NULL,
  source_sha256 TEXT NOT NULL,
  source_size INTEGER NOT NULL,
  eval_inputs_sha256 TEXT NOT NULL,
  eval_labels_sha256 TEXT NOT NULL,
  calibration_sha256 TEXT NOT NULL,
  max_drop_pp REAL NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  device_class TEXT NOT NULL,
  profile TEXT NOT NULL,
  state INTEGER NOT NULL,
  stage TEXT NOT NULL DEFAULT '',
  progress REAL NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  FOREIGN KEY (model, version) REFERENCES versions(model, version) ON DELETE CASCADE
);
CREATE INDEX jobs_by_state ON jobs(state, id);
CREATE TABLE artifacts (
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  device_class TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  compression_ratio REAL NOT NULL,
  accuracy_before REAL NOT NULL,
  accuracy_after REAL NOT NULL,
  latency_ms REAL NOT NULL,
  PRIMARY KEY (model, version, device_class),
  FOREIGN KEY (model, version) REFERENCES versions(model, version) ON DELETE CASCADE
);
CREATE INDEX artifacts_by_sha ON artifacts(sha256);
CREATE TABLE rollouts (
  model TEXT PRIMARY KEY REFERENCES models(name),
  stable_version INTEGER NOT NULL,
  canary_version INTEGER NOT NULL,
  percent INTEGER NOT NULL,
  serial INTEGER NOT NULL,
  updated INTEGER NOT NULL
);
-- Stable versions replaced by a full rollout, newest last: what Rollback returns to.
CREATE TABLE stable_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  model TEXT NOT NULL,
  version INTEGER NOT NULL
);
CREATE TABLE admin_tokens (
  hash TEXT PRIMARY KEY,
  created INTEGER NOT NULL
);
)sql",
};

std::string JoinFeatures(const std::vector<std::string>& features) {
  std::string out;
  for (const std::string& f : features) out += (out.empty() ? "" : ",") + f;
  return out;
}

std::vector<std::string> SplitFeatures(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// How many versions (as source or evaluation data) and artifacts name blob ?1.
constexpr const char* kBlobReferenceCount =
    "SELECT (SELECT COUNT(*) FROM versions WHERE source_sha256 = ?1 OR eval_inputs_sha256 = ?1 OR "
    "eval_labels_sha256 = ?1 OR calibration_sha256 = ?1) + (SELECT COUNT(*) FROM artifacts WHERE sha256 = ?1)";

constexpr const char* kJobColumns =
    "id, model, version, device_class, profile, state, stage, progress, message, attempts, created, updated";

JobRecord ReadJob(const sql::Statement& s) {
  JobRecord j;
  j.id = static_cast<uint64_t>(s.Int(0));
  j.model = s.Text(1);
  j.version = static_cast<uint32_t>(s.Int(2));
  j.device_class = s.Text(3);
  j.profile = s.Text(4);
  j.state = static_cast<JobState>(s.Int(5));
  j.stage = s.Text(6);
  j.progress = s.Double(7);
  j.message = s.Text(8);
  j.attempts = static_cast<uint32_t>(s.Int(9));
  j.created = s.Int(10);
  j.updated = s.Int(11);
  return j;
}

constexpr const char* kVersionColumns =
    "model, version, source_sha256, source_size, eval_inputs_sha256, eval_labels_sha256, calibration_sha256, "
    "max_drop_pp, created";

VersionRecord ReadVersion(const sql::Statement& s) {
  VersionRecord v;
  v.model = s.Text(0);
  v.version = static_cast<uint32_t>(s.Int(1));
  v.source_sha256 = s.Text(2);
  v.source_size = static_cast<uint64_t>(s.Int(3));
  v.eval_inputs_sha256 = s.Text(4);
  v.eval_labels_sha256 = s.Text(5);
  v.calibration_sha256 = s.Text(6);
  v.max_drop_pp = s.Double(7);
  v.created = s.Int(8);
  return v;
}

constexpr const char* kArtifactColumns =
    "model, version, device_class, sha256, size, compression_ratio, accuracy_before, accuracy_after, latency_ms";

ArtifactRecord ReadArtifact(const sql::Statement& s) {
  ArtifactRecord a;
  a.model = s.Text(0);
  a.version = static_cast<uint32_t>(s.Int(1));
  a.device_class = s.Text(2);
  a.sha256 = s.Text(3);
  a.size = static_cast<uint64_t>(s.Int(4));
  a.compression_ratio = s.Double(5);
  a.accuracy_before = s.Double(6);
  a.accuracy_after = s.Double(7);
  a.latency_ms = s.Double(8);
  return a;
}

}  // namespace

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kFailed: return "failed";
  }
  return "unknown";
}

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path) {
  KINGLET_ASSIGN_OR_RETURN(std::unique_ptr<sql::Database> db, sql::Database::Open(path));
  // WAL: readers never block the writer; synchronous=FULL: a committed change survives power loss.
  KINGLET_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL"));
  std::unique_ptr<Catalog> catalog(new Catalog(std::move(db)));
  KINGLET_RETURN_IF_ERROR(catalog->Migrate());
  return catalog;
}

Status Catalog::Migrate() {
  KINGLET_ASSIGN_OR_RETURN(sql::Statement q, db_->Prepare("PRAGMA user_version"));
  KINGLET_ASSIGN_OR_RETURN(bool row, q.Step());
  const int64_t current = row ? q.Int(0) : 0;
  if (current > kSchemaVersion) {
    return Status::FailedPrecondition("catalog " + db_->path() + " has schema version " + std::to_string(current) +
                                      ", newer than this kingletd understands (" + std::to_string(kSchemaVersion) +
                                      "); run the newer kingletd");
  }
  for (int64_t v = current; v < kSchemaVersion; ++v) {
    sql::Transaction tx(db_.get());
    KINGLET_RETURN_IF_ERROR(tx.begin_status());
    KINGLET_RETURN_IF_ERROR(db_->Exec(kMigrations[v]));
    KINGLET_RETURN_IF_ERROR(db_->Exec("PRAGMA user_version = " + std::to_string(v + 1)));
    KINGLET_RETURN_IF_ERROR(tx.Commit());
  }
  return Status::Ok();
}

Status Catalog::PutDeviceClass(const DeviceClassRecord& r) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s,
                           db_->Prepare("INSERT INTO device_classes(name, isa, cpu_features, min_ram_mib, profile) "
                                        "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(name) DO UPDATE SET isa = ?2, "
                                        "cpu_features = ?3, min_ram_mib = ?4, profile = ?5"));
  s.Bind(1, r.name).Bind(2, r.isa).Bind(3, JoinFeatures(r.cpu_features)).Bind(4, int64_t{r.min_ram_mib}).Bind(5, r.profile);
  KINGLET_RETURN_IF_ERROR(s.Run());
  BumpDeliveryGeneration();
  return Status::Ok();
}

Result<std::vector<DeviceClassRecord>> Catalog::ListDeviceClasses() {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare("SELECT name, isa, cpu_features, min_ram_mib, profile "
                                                          "FROM device_classes ORDER BY name"));
  std::vector<DeviceClassRecord> out;
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.Text(0), s.Text(1), SplitFeatures(s.Text(2)), static_cast<uint32_t>(s.Int(3)), s.Text(4)});
  }
  return out;
}

Status Catalog::DeleteDeviceClass(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Transaction tx(db_.get());
  KINGLET_RETURN_IF_ERROR(tx.begin_status());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement count, db_->Prepare("SELECT COUNT(*), SUM(name = ?1) FROM device_classes"));
  count.Bind(1, name);
  KINGLET_ASSIGN_OR_RETURN(bool row, count.Step());
  if (!row || count.Int(1) == 0) return Status::NotFound("device class '" + name + "' does not exist");
  if (count.Int(0) == 1) {
    return Status::FailedPrecondition("'" + name + "' is the only device class; add another before deleting it");
  }
  KINGLET_ASSIGN_OR_RETURN(sql::Statement del, db_->Prepare("DELETE FROM device_classes WHERE name = ?1"));
  del.Bind(1, name);
  KINGLET_RETURN_IF_ERROR(del.Run());
  KINGLET_RETURN_IF_ERROR(tx.Commit());
  BumpDeliveryGeneration();
  return Status::Ok();
}

Result<std::pair<VersionRecord, std::vector<JobRecord>>> Catalog::CreateVersion(const NewVersion& r, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Transaction tx(db_.get());
  KINGLET_RETURN_IF_ERROR(tx.begin_status());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement model, db_->Prepare("INSERT OR IGNORE INTO models(name, created) VALUES(?1, ?2)"));
  model.Bind(1, r.model).Bind(2, now);
  KINGLET_RETURN_IF_ERROR(model.Run());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement next,
                           db_->Prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE model = ?1"));
  next.Bind(1, r.model);
  KINGLET_ASSIGN_OR_RETURN(bool row, next.Step());
  if (!row) return Status::Internal("catalog: no next version");
  VersionRecord v{r.model, static_cast<uint32_t>(next.Int(0)), r.source_sha256, r.source_size,
                  r.eval_inputs_sha256, r.eval_labels_sha256, r.calibration_sha256, r.max_drop_pp, now};
  KINGLET_ASSIGN_OR_RETURN(sql::Statement insert,
                           db_->Prepare(std::string("INSERT INTO versions(") + kVersionColumns +
                                        ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  insert.Bind(1, v.model).Bind(2, int64_t{v.version}).Bind(3, v.source_sha256).Bind(4, static_cast<int64_t>(v.source_size));
  insert.Bind(5, v.eval_inputs_sha256).Bind(6, v.eval_labels_sha256).Bind(7, v.calibration_sha256);
  insert.Bind(8, v.max_drop_pp).Bind(9, now);
  KINGLET_RETURN_IF_ERROR(insert.Run());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement jobs,
                           db_->Prepare("INSERT INTO jobs(model, version, device_class, profile, state, created, updated) "
                                        "SELECT ?1, ?2, name, profile, ?3, ?4, ?4 FROM device_classes ORDER BY name"));
  jobs.Bind(1, v.model).Bind(2, int64_t{v.version}).Bind(3, int64_t{static_cast<int>(JobState::kQueued)}).Bind(4, now);
  KINGLET_RETURN_IF_ERROR(jobs.Run());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement read, db_->Prepare(std::string("SELECT ") + kJobColumns +
                                                             " FROM jobs WHERE model = ?1 AND version = ?2 ORDER BY id"));
  read.Bind(1, v.model).Bind(2, int64_t{v.version});
  std::vector<JobRecord> queued;
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool more, read.Step());
    if (!more) break;
    queued.push_back(ReadJob(read));
  }
  KINGLET_RETURN_IF_ERROR(tx.Commit());
  return std::make_pair(v, queued);
}

Result<std::vector<ModelSummaryRecord>> Catalog::ListModels() {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(
      sql::Statement s,
      db_->Prepare("SELECT m.name, COALESCE((SELECT MAX(version) FROM versions v WHERE v.model = m.name), 0), "
                   "COALESCE((SELECT stable_version FROM rollouts r WHERE r.model = m.name), 0), m.created "
                   "FROM models m ORDER BY m.name"));
  std::vector<ModelSummaryRecord> out;
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.Text(0), static_cast<uint32_t>(s.Int(1)), static_cast<uint32_t>(s.Int(2)), s.Int(3)});
  }
  return out;
}

Status Catalog::RequireModelLocked(const std::string& model) {
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare("SELECT 1 FROM models WHERE name = ?1"));
  s.Bind(1, model);
  KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("model '" + model + "' does not exist (see `kinglet models`)");
  return Status::Ok();
}

Result<std::vector<VersionRecord>> Catalog::ListVersions(const std::string& model) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_RETURN_IF_ERROR(RequireModelLocked(model));
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare(std::string("SELECT ") + kVersionColumns +
                                                          " FROM versions WHERE model = ?1 ORDER BY version"));
  s.Bind(1, model);
  std::vector<VersionRecord> out;
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadVersion(s));
  }
  return out;
}

Result<VersionRecord> Catalog::GetVersion(const std::string& model, uint32_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare(std::string("SELECT ") + kVersionColumns +
                                                          " FROM versions WHERE model = ?1 AND version = ?2"));
  s.Bind(1, model).Bind(2, int64_t{version});
  KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("model '" + model + "' has no version " + std::to_string(version));
  return ReadVersion(s);
}

Result<std::vector<std::string>> Catalog::DeleteVersion(const std::string& model, uint32_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Transaction tx(db_.get());
  KINGLET_RETURN_IF_ERROR(tx.begin_status());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement get, db_->Prepare(std::string("SELECT ") + kVersionColumns +
                                                            " FROM versions WHERE model = ?1 AND version = ?2"));
  get.Bind(1, model).Bind(2, int64_t{version});
  KINGLET_ASSIGN_OR_RETURN(bool found, get.Step());
  if (!found) return Status::NotFound("model '" + model + "' has no version " + std::to_string(version));
  const VersionRecord v = ReadVersion(get);
  KINGLET_ASSIGN_OR_RETURN(RolloutRecord rollout, GetRolloutLocked(model));
  if (rollout.stable_version == version || rollout.canary_version == version) {
    return Status::FailedPrecondition("version " + std::to_string(version) + " of '" + model +
                                      "' is live; roll out another version or roll back first");
  }
  KINGLET_ASSIGN_OR_RETURN(sql::Statement running,
                           db_->Prepare("SELECT COUNT(*) FROM jobs WHERE model = ?1 AND version = ?2 AND state = ?3"));
  running.Bind(1, model).Bind(2, int64_t{version}).Bind(3, int64_t{static_cast<int>(JobState::kRunning)});
  KINGLET_ASSIGN_OR_RETURN(bool row, running.Step());
  if (row && running.Int(0) > 0) {
    return Status::FailedPrecondition("a compression job of version " + std::to_string(version) +
                                      " is running; wait for it (kinglet jobs) and delete again");
  }
  std::set<std::string> candidates = {v.source_sha256, v.eval_inputs_sha256, v.eval_labels_sha256,
                                      v.calibration_sha256};
  KINGLET_ASSIGN_OR_RETURN(sql::Statement artifacts,
                           db_->Prepare("SELECT sha256 FROM artifacts WHERE model = ?1 AND version = ?2"));
  artifacts.Bind(1, model).Bind(2, int64_t{version});
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool more, artifacts.Step());
    if (!more) break;
    candidates.insert(artifacts.Text(0));
  }
  candidates.erase("");
  KINGLET_ASSIGN_OR_RETURN(sql::Statement del, db_->Prepare("DELETE FROM versions WHERE model = ?1 AND version = ?2"));
  del.Bind(1, model).Bind(2, int64_t{version});
  KINGLET_RETURN_IF_ERROR(del.Run());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement history,
                           db_->Prepare("DELETE FROM stable_history WHERE model = ?1 AND version = ?2"));
  history.Bind(1, model).Bind(2, int64_t{version});
  KINGLET_RETURN_IF_ERROR(history.Run());
  // A blob is orphaned when no remaining version or artifact names it (identical uploads share).
  std::vector<std::string> orphans;
  KINGLET_ASSIGN_OR_RETURN(sql::Statement used, db_->Prepare(kBlobReferenceCount));
  for (const std::string& sha : candidates) {
    used.Reset();
    used.Bind(1, sha);
    KINGLET_ASSIGN_OR_RETURN(bool r, used.Step());
    if (r && used.Int(0) == 0) orphans.push_back(sha);
  }
  KINGLET_RETURN_IF_ERROR(tx.Commit());
  BumpDeliveryGeneration();
  return orphans;
}

Result<std::optional<JobRecord>> Catalog::ClaimNextJob(int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Transaction tx(db_.get());
  KINGLET_RETURN_IF_ERROR(tx.begin_status());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement pick,
                           db_->Prepare("SELECT id FROM jobs WHERE state = ?1 ORDER BY id LIMIT 1"));
  pick.Bind(1, int64_t{static_cast<int>(JobState::kQueued)});
  KINGLET_ASSIGN_OR_RETURN(bool row, pick.Step());
  if (!row) return std::optional<JobRecord>();
  const int64_t id = pick.Int(0);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement claim,
                           db_->Prepare("UPDATE jobs SET state = ?1, attempts = attempts + 1, stage = 'starting', "
                                        "progress = 0, updated = ?2 WHERE id = ?3"));
  claim.Bind(1, int64_t{static_cast<int>(JobState::kRunning)}).Bind(2, now).Bind(3, id);
  KINGLET_RETURN_IF_ERROR(claim.Run());
  KINGLET_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(static_cast<uint64_t>(id)));
  KINGLET_RETURN_IF_ERROR(tx.Commit());
  return std::optional<JobRecord>(job);
}

Status Catalog::UpdateJobProgress(uint64_t id, const std::string& stage, double progress, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s,
                           db_->Prepare("UPDATE jobs SET stage = ?1, progress = ?2, updated = ?3 WHERE id = ?4"));
  s.Bind(1, stage).Bind(2, progress).Bind(3, now).Bind(4, static_cast<int64_t>(id));
  return s.Run();
}

Status Catalog::CompleteJob(uint64_t id, const ArtifactRecord& a, const std::string& message, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Transaction tx(db_.get());
  KINGLET_RETURN_IF_ERROR(tx.begin_status());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement insert,
                           db_->Prepare(std::string("INSERT OR REPLACE INTO artifacts(") + kArtifactColumns +
                                        ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  insert.Bind(1, a.model).Bind(2, int64_t{a.version}).Bind(3, a.device_class).Bind(4, a.sha256);
  insert.Bind(5, static_cast<int64_t>(a.size)).Bind(6, a.compression_ratio).Bind(7, a.accuracy_before);
  insert.Bind(8, a.accuracy_after).Bind(9, a.latency_ms);
  KINGLET_RETURN_IF_ERROR(insert.Run());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement done,
                           db_->Prepare("UPDATE jobs SET state = ?1, stage = 'done', progress = 1, message = ?2, "
                                        "updated = ?3 WHERE id = ?4"));
  done.Bind(1, int64_t{static_cast<int>(JobState::kSucceeded)}).Bind(2, message).Bind(3, now).Bind(4, static_cast<int64_t>(id));
  KINGLET_RETURN_IF_ERROR(done.Run());
  if (db_->Changes() != 1) return Status::NotFound("job " + std::to_string(id) + " does not exist");
  KINGLET_RETURN_IF_ERROR(tx.Commit());
  BumpDeliveryGeneration();
  return Status::Ok();
}

Status Catalog::FailJob(uint64_t id, const std::string& message, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s,
                           db_->Prepare("UPDATE jobs SET state = ?1, message = ?2, updated = ?3 WHERE id = ?4"));
  s.Bind(1, int64_t{static_cast<int>(JobState::kFailed)}).Bind(2, message).Bind(3, now).Bind(4, static_cast<int64_t>(id));
  return s.Run();
}

Result<int> Catalog::RequeueInterruptedJobs(int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s,
                           db_->Prepare("UPDATE jobs SET state = ?1, stage = '', progress = 0, "
                                        "message = 'interrupted by a restart; queued again', updated = ?2 "
                                        "WHERE state = ?3"));
  s.Bind(1, int64_t{static_cast<int>(JobState::kQueued)}).Bind(2, now).Bind(3, int64_t{static_cast<int>(JobState::kRunning)});
  KINGLET_RETURN_IF_ERROR(s.Run());
  return db_->Changes();
}

Result<JobRecord> Catalog::GetJobLocked(uint64_t id) {
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?1"));
  s.Bind(1, static_cast<int64_t>(id));
  KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("job " + std::to_string(id) + " does not exist (see `kinglet jobs`)");
  return ReadJob(s);
}

Result<JobRecord> Catalog::GetJob(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return GetJobLocked(id);
}

Result<std::vector<JobRecord>> Catalog::ListJobs(const std::string& model, bool include_finished) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s,
                           db_->Prepare(std::string("SELECT ") + kJobColumns +
                                        " FROM jobs WHERE (?1 = '' OR model = ?1) AND (?2 OR state IN (?3, ?4)) "
                                        "ORDER BY id"));
  s.Bind(1, model).Bind(2, int64_t{include_finished ? 1 : 0});
  s.Bind(3, int64_t{static_cast<int>(JobState::kQueued)}).Bind(4, int64_t{static_cast<int>(JobState::kRunning)});
  std::vector<JobRecord> out;
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadJob(s));
  }
  return out;
}

Result<std::vector<ArtifactRecord>> Catalog::ListArtifacts(const std::string& model, uint32_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare(std::string("SELECT ") + kArtifactColumns +
                                                          " FROM artifacts WHERE model = ?1 AND version = ?2 "
                                                          "ORDER BY device_class"));
  s.Bind(1, model).Bind(2, int64_t{version});
  std::vector<ArtifactRecord> out;
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadArtifact(s));
  }
  return out;
}

Result<std::optional<ArtifactRecord>> Catalog::GetArtifact(const std::string& model, uint32_t version,
                                                           const std::string& device_class) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s,
                           db_->Prepare(std::string("SELECT ") + kArtifactColumns +
                                        " FROM artifacts WHERE model = ?1 AND version = ?2 AND device_class = ?3"));
  s.Bind(1, model).Bind(2, int64_t{version}).Bind(3, device_class);
  KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<ArtifactRecord>();
  return std::optional<ArtifactRecord>(ReadArtifact(s));
}

Result<bool> Catalog::IsBlobReferenced(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare(kBlobReferenceCount));
  s.Bind(1, sha256);
  KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
  return row && s.Int(0) > 0;
}

Result<bool> Catalog::IsArtifact(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare("SELECT 1 FROM artifacts WHERE sha256 = ?1 LIMIT 1"));
  s.Bind(1, sha256);
  return s.Step();
}

Result<RolloutRecord> Catalog::GetRolloutLocked(const std::string& model) {
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare("SELECT stable_version, canary_version, percent, serial, "
                                                          "updated FROM rollouts WHERE model = ?1"));
  s.Bind(1, model);
  KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
  RolloutRecord r;
  r.model = model;
  if (row) {
    r.stable_version = static_cast<uint32_t>(s.Int(0));
    r.canary_version = static_cast<uint32_t>(s.Int(1));
    r.percent = static_cast<uint32_t>(s.Int(2));
    r.serial = static_cast<uint64_t>(s.Int(3));
    r.updated = s.Int(4);
  }
  return r;
}

Result<RolloutRecord> Catalog::GetRollout(const std::string& model) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_RETURN_IF_ERROR(RequireModelLocked(model));
  return GetRolloutLocked(model);
}

namespace {

Status WriteRollout(sql::Database* db, const RolloutRecord& r) {
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s,
                           db->Prepare("INSERT OR REPLACE INTO rollouts(model, stable_version, canary_version, percent, "
                                       "serial, updated) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  s.Bind(1, r.model).Bind(2, int64_t{r.stable_version}).Bind(3, int64_t{r.canary_version}).Bind(4, int64_t{r.percent});
  s.Bind(5, static_cast<int64_t>(r.serial)).Bind(6, r.updated);
  return s.Run();
}

}  // namespace

Result<RolloutRecord> Catalog::SetRollout(const std::string& model, uint32_t version, uint32_t percent, int64_t now) {
  if (percent < 1 || percent > 100) {
    return Status::InvalidArgument("rollout percent must be 1..100, got " + std::to_string(percent));
  }
  std::lock_guard<std::mutex> lock(mu_);
  sql::Transaction tx(db_.get());
  KINGLET_RETURN_IF_ERROR(tx.begin_status());
  KINGLET_RETURN_IF_ERROR(RequireModelLocked(model));
  KINGLET_ASSIGN_OR_RETURN(sql::Statement jobs,
                           db_->Prepare("SELECT COUNT(*), COALESCE(SUM(state = ?3), 0), COALESCE(SUM(state IN (?4, ?5)), 0) "
                                        "FROM jobs WHERE model = ?1 AND version = ?2"));
  jobs.Bind(1, model).Bind(2, int64_t{version}).Bind(3, int64_t{static_cast<int>(JobState::kSucceeded)});
  jobs.Bind(4, int64_t{static_cast<int>(JobState::kQueued)}).Bind(5, int64_t{static_cast<int>(JobState::kRunning)});
  KINGLET_ASSIGN_OR_RETURN(bool row, jobs.Step());
  KINGLET_ASSIGN_OR_RETURN(sql::Statement exists,
                           db_->Prepare("SELECT 1 FROM versions WHERE model = ?1 AND version = ?2"));
  exists.Bind(1, model).Bind(2, int64_t{version});
  KINGLET_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (!found) return Status::NotFound("model '" + model + "' has no version " + std::to_string(version));
  if (row && jobs.Int(2) > 0) {
    return Status::FailedPrecondition("version " + std::to_string(version) +
                                      " is still being compressed; wait for its jobs (kinglet jobs) and retry");
  }
  if (!row || jobs.Int(1) == 0) {
    return Status::FailedPrecondition("version " + std::to_string(version) +
                                      " has no successfully compressed artifact to roll out");
  }
  KINGLET_ASSIGN_OR_RETURN(RolloutRecord r, GetRolloutLocked(model));
  if (percent == 100) {
    if (r.stable_version != 0 && r.stable_version != version) {
      KINGLET_ASSIGN_OR_RETURN(sql::Statement push,
                               db_->Prepare("INSERT INTO stable_history(model, version) VALUES(?1, ?2)"));
      push.Bind(1, model).Bind(2, int64_t{r.stable_version});
      KINGLET_RETURN_IF_ERROR(push.Run());
    }
    r.stable_version = version;
    r.canary_version = 0;
    r.percent = 0;
  } else {
    if (version == r.stable_version) {
      return Status::InvalidArgument("version " + std::to_string(version) +
                                     " is already stable for everyone; roll out a different version");
    }
    r.canary_version = version;
    r.percent = percent;
  }
  ++r.serial;
  r.updated = now;
  KINGLET_RETURN_IF_ERROR(WriteRollout(db_.get(), r));
  KINGLET_RETURN_IF_ERROR(tx.Commit());
  BumpDeliveryGeneration();
  return r;
}

Result<RolloutRecord> Catalog::Rollback(const std::string& model, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Transaction tx(db_.get());
  KINGLET_RETURN_IF_ERROR(tx.begin_status());
  KINGLET_RETURN_IF_ERROR(RequireModelLocked(model));
  KINGLET_ASSIGN_OR_RETURN(RolloutRecord r, GetRolloutLocked(model));
  if (r.canary_version != 0) {
    r.canary_version = 0;
    r.percent = 0;
  } else {
    KINGLET_ASSIGN_OR_RETURN(sql::Statement last,
                             db_->Prepare("SELECT seq, version FROM stable_history WHERE model = ?1 "
                                          "ORDER BY seq DESC LIMIT 1"));
    last.Bind(1, model);
    KINGLET_ASSIGN_OR_RETURN(bool row, last.Step());
    if (!row) {
      return Status::FailedPrecondition("model '" + model + "' has no earlier rollout to go back to");
    }
    const int64_t seq = last.Int(0);
    r.stable_version = static_cast<uint32_t>(last.Int(1));
    KINGLET_ASSIGN_OR_RETURN(sql::Statement pop, db_->Prepare("DELETE FROM stable_history WHERE seq = ?1"));
    pop.Bind(1, seq);
    KINGLET_RETURN_IF_ERROR(pop.Run());
  }
  ++r.serial;
  r.updated = now;
  KINGLET_RETURN_IF_ERROR(WriteRollout(db_.get(), r));
  KINGLET_RETURN_IF_ERROR(tx.Commit());
  BumpDeliveryGeneration();
  return r;
}

Status Catalog::AddAdminTokenHash(const std::string& hash, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare("INSERT OR IGNORE INTO admin_tokens(hash, created) VALUES(?1, ?2)"));
  s.Bind(1, hash).Bind(2, now);
  return s.Run();
}

Result<std::vector<std::string>> Catalog::AdminTokenHashes() {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare("SELECT hash FROM admin_tokens ORDER BY created"));
  std::vector<std::string> out;
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(s.Text(0));
  }
  return out;
}

}  // namespace kinglet::server
