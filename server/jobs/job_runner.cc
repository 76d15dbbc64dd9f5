#include "jobs/job_runner.h"

#include <ctime>

#include "jobs/compression_job.h"

namespace kinglet::server {

JobRunner::JobRunner(Catalog* catalog, BlobStore* blobs, JobRunnerOptions options)
    : catalog_(catalog), blobs_(blobs), options_(std::move(options)) {}

JobRunner::~JobRunner() { Stop(); }

int64_t JobRunner::Now() const { return options_.now ? options_.now() : static_cast<int64_t>(std::time(nullptr)); }

Status JobRunner::Start() {
  KINGLET_ASSIGN_OR_RETURN(int requeued, catalog_->RequeueInterruptedJobs(Now()));
  (void)requeued;
  stopping_ = false;
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back(&JobRunner::Work, this);
  return Status::Ok();
}

void JobRunner::Stop() {
  stopping_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakeups_;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void JobRunner::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakeups_;
  }
  work_cv_.notify_all();
  Bump();
}

void JobRunner::Bump() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++revision_;
  }
  change_cv_.notify_all();
}

uint64_t JobRunner::revision() {
  std::lock_guard<std::mutex> lock(mu_);
  return revision_;
}

uint64_t JobRunner::WaitForChange(uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  change_cv_.wait_for(lock, timeout, [&] { return revision_ != seen || stopping_; });
  return revision_;
}

void JobRunner::Work() {
  while (!stopping_) {
    uint64_t wakeups;
    {
      std::lock_guard<std::mutex> lock(mu_);
      wakeups = wakeups_;
    }
    auto job = catalog_->ClaimNextJob(Now());
    if (job.ok() && job->has_value()) {
      Bump();
      RunOne(**job);
      continue;
    }
    // Nothing queued (or the catalog is unhappy): sleep until woken, with a periodic recheck
    // in case another process queued work.
    std::unique_lock<std::mutex> lock(mu_);
    work_cv_.wait_for(lock, std::chrono::seconds(2), [&] { return wakeups_ != wakeups || stopping_; });
  }
}

void JobRunner::RunOne(const JobRecord& job) {
  auto version = catalog_->GetVersion(job.model, job.version);
  if (!version.ok()) {
    (void)catalog_->FailJob(job.id, version.status().ToString(), Now());
    Bump();
    return;
  }
  auto last_write = std::chrono::steady_clock::now() - std::chrono::seconds(10);
  std::string last_stage;
  CompressionJobHooks hooks;
  hooks.progress = [&](const std::string& stage, double fraction) {
    const auto now = std::chrono::steady_clock::now();
    if (stage == last_stage && now - last_write < std::chrono::seconds(1)) return;
    last_stage = stage;
    last_write = now;
    (void)catalog_->UpdateJobProgress(job.id, stage, fraction, Now());
    Bump();
  };
  hooks.cancelled = [this] { return stopping_.load(); };
  auto result = RunCompressionJob(job, *version, blobs_, options_.threads_per_job, hooks);
  if (!result.ok() && result.status().code() == StatusCode::kCancelled) return;  // runs again on restart
  if (result.ok()) {
    const Status done = catalog_->CompleteJob(job.id, result->artifact, result->note, Now());
    if (!done.ok()) (void)catalog_->FailJob(job.id, done.ToString(), Now());
  } else {
    (void)catalog_->FailJob(job.id, result.status().ToString(), Now());
  }
  Bump();
}

}  // namespace kinglet::server
