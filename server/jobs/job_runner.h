// A bounded pool of workers running compression jobs from the catalog's queue. Jobs are
// persisted, so a job a crash (or a shutdown) interrupts is still "running" in the catalog;
// Start() queues those again before the workers begin.
//
// Thread-safe. Progress goes to the catalog at most once a second per job, and every change
// bumps a revision that WaitForChange lets watchers (WatchJob) block on.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "blobs/blob_store.h"
#include "catalog/catalog.h"

namespace kinglet::server {

struct JobRunnerOptions {
  int workers = 1;          // jobs at once
  int threads_per_job = 0;  // evaluation threads inside one job (0 = all cores)
  std::function<int64_t()> now;  // Unix seconds; defaults to the system clock
};

class JobRunner {
 public:
  JobRunner(Catalog* catalog, BlobStore* blobs, JobRunnerOptions options);
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Requeues interrupted jobs and starts the workers.
  Status Start();
  // Cancels running jobs at their next step (they stay "running" in the catalog and run again
  // on the next Start) and joins the workers.
  void Stop();
  // New jobs are queued.
  void Wake();

  // Blocks until the revision passes `seen` or `timeout` elapses; returns the revision now.
  uint64_t WaitForChange(uint64_t seen, std::chrono::milliseconds timeout);
  uint64_t revision();

 private:
  void Work();
  void RunOne(const JobRecord& job);
  void Bump();
  int64_t Now() const;

  Catalog* catalog_;
  BlobStore* blobs_;
  JobRunnerOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable work_cv_;    // workers wait here for jobs
  std::condition_variable change_cv_;  // watchers wait here for revisions
  uint64_t revision_ = 0;              // guarded by mu_
  uint64_t wakeups_ = 0;               // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace kinglet::server
