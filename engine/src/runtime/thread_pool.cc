#include "runtime/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kinglet::runtime {
namespace {

// How long an idle worker spins before it sleeps: long enough to cover the gap between two ops
// of one Run (microseconds), short enough that an idle app gives its cores back at once.
constexpr int kSpinRounds = 20000;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int slot = 1; slot < threads; ++slot) workers_.emplace_back([this, slot] { WorkerLoop(slot); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
    gate_.store(((Job() + 1) << kJobShift) | kClosed);  // a new job that nobody may enter
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::Run(ThreadPool* pool, int64_t tasks, void* fn, TaskFn call) {
  if (tasks <= 0) return;
  if (pool == nullptr || pool->workers_.empty() || tasks == 1) {
    for (int64_t t = 0; t < tasks; ++t) call(fn, t, 0);
    return;
  }
  pool->Dispatch(tasks, fn, call);
}

void ThreadPool::Dispatch(int64_t tasks, void* fn, TaskFn call) {
  if (inline_jobs_left_ > 0) {
    --inline_jobs_left_;
    for (int64_t t = 0; t < tasks; ++t) call(fn, t, 0);
    return;
  }
  // The gate is closed with nobody inside: the job fields are the caller's alone.
  job_fn_ = fn;
  job_call_ = call;
  job_tasks_ = tasks;
  job_chunk_ = std::max<int64_t>(1, tasks / (kChunksPerThread * size()));
  next_task_.store(0, std::memory_order_relaxed);
  // seq_cst pairs with the sleeper's "sleepers_++ then re-check the job": either the worker sees
  // the new job, or we see it asleep and wake it.
  gate_.store((Job() + 1) << kJobShift);
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
  }
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  RunTasks(0);
  // Every task is taken. Close the gate and wait for the workers inside to finish theirs.
  uint64_t gate = gate_.fetch_or(kClosed, std::memory_order_acq_rel);
  if ((gate & kInsideMask) == 0) return;
  const Clock::time_point own_end = Clock::now();
  while ((gate & kInsideMask) != 0) {
    CpuRelax();
    gate = gate_.load(std::memory_order_acquire);
  }
  const Clock::duration waited = Clock::now() - own_end;
  if (waited > kStall && waited > 2 * (own_end - start)) {
    inline_jobs_left_ = next_inline_jobs_;
    next_inline_jobs_ = std::min(2 * next_inline_jobs_, kMaxInlineJobs);
    clean_jobs_ = 0;
  } else if (++clean_jobs_ >= next_inline_jobs_) {
    next_inline_jobs_ = std::max(next_inline_jobs_ / 2, kMinInlineJobs);
    clean_jobs_ = 0;
  }
}

void ThreadPool::RunTasks(int slot) {
  for (;;) {
    const int64_t first = next_task_.fetch_add(job_chunk_, std::memory_order_relaxed);
    if (first >= job_tasks_) return;
    const int64_t end = std::min(job_tasks_, first + job_chunk_);
    for (int64_t task = first; task < end; ++task) job_call_(job_fn_, task, slot);
  }
}

void ThreadPool::WorkerLoop(int slot) {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (Job() == seen && spins < kSpinRounds) {
      CpuRelax();
      ++spins;
    }
    if (Job() == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1);
      // seq_cst (not Job()'s acquire): the other half of Dispatch's "store the job, then load
      // sleepers_", so a job opened while this worker went to sleep is never missed.
      wake_.wait(lock, [&] { return (gate_.load() >> kJobShift) != seen; });
      sleepers_.fetch_sub(1);
    }
    // The gate before the stop flag: the destructor sets the flag and then publishes a last,
    // closed job, so a gate read here that already shows that job also shows the flag. Checked
    // the other way round, a worker could miss the flag, take the last job as seen and sleep
    // forever while the destructor waits to join it.
    uint64_t gate = gate_.load(std::memory_order_acquire);
    if (stopping_.load()) return;
    seen = gate >> kJobShift;
    // Enter the job unless the caller has already closed it (then it needs nobody).
    while ((gate & kClosed) == 0 && (gate >> kJobShift) == seen) {
      if (gate_.compare_exchange_weak(gate, gate + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        RunTasks(slot);
        gate_.fetch_sub(1, std::memory_order_release);
        break;
      }
    }
  }
}

}  // namespace kinglet::runtime
