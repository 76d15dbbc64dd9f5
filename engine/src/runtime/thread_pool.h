// The session's intra-op thread pool: ParallelFor splits one op's work into tasks that the
// caller and the workers take, in runs, from a shared atomic counter.
//
// The hot path has no lock and no allocation: a dispatch publishes a function pointer and a task
// count, opens a new job on a gate word the workers spin on, and the caller works too. When the
// caller runs out of tasks it closes the gate and waits only for the workers already inside: a
// worker that was asleep or descheduled and arrives late does not delay the op (on a busy phone
// a wake-up can take longer than the op). Workers that have seen no work for a while sleep on a
// condition variable (so an idle app does not burn a core); only waking them takes the mutex.
//
// A worker the OS deschedules while it holds a task (another app, a render thread, a busy little
// core) makes the caller wait out the rest of its time slice — milliseconds, for an op of tens of
// microseconds. When the caller waited for a worker both longer than kStall and more than twice as
// long as its own share took, the next jobs run on the caller alone: 64 after a first stall, twice
// as many after each further one (up to 4096); the stretch halves again (down to 64) after each
// run of as many jobs as it holds that the workers share without a stall. MobileNetV2 on two
// threads beside a busy loop pinned to the second core: 16-18 ms without this, 8.4-10.7 ms with
// it (8.4 ms on one thread).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace kinglet::runtime {

class ThreadPool {
 public:
  // `threads` counts the caller: 1 runs everything inline and starts no thread.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(task, slot) for every task in [0, tasks) and returns when all have finished. `slot`
  // is in [0, size()) and no two concurrent calls share one, so it can index per-thread scratch.
  // Not reentrant: fn must not call ParallelFor.
  template <typename Fn>
  void ParallelFor(int64_t tasks, Fn&& fn) {
    Run(this, tasks, const_cast<void*>(static_cast<const void*>(&fn)),
        &CallTask<std::remove_reference_t<Fn>>);
  }

 private:
  template <typename Fn>
  friend void ParallelFor(ThreadPool* pool, int64_t tasks, Fn&& fn);

  using TaskFn = void (*)(void* fn, int64_t task, int slot);
  template <typename Callable>
  static void CallTask(void* fn, int64_t task, int slot) {
    (*static_cast<Callable*>(fn))(task, slot);
  }
  // ParallelFor's body: the tasks on the calling thread when there is no pool (null), no worker
  // or one task, else dispatched. Out of line, so a call site is one call: inline, its serial
  // loops copied the task's body into every kernel twice (6.8 KB of the engine on x86-64).
  static void Run(ThreadPool* pool, int64_t tasks, void* fn, TaskFn call);

  // gate_ = job number << kJobShift | kClosed bit | workers inside the job.
  static constexpr int kJobShift = 17;
  static constexpr uint64_t kClosed = uint64_t{1} << 16;
  static constexpr uint64_t kInsideMask = kClosed - 1;

  // Tasks are taken in runs of about tasks / (kChunksPerThread * size()): with one task at a time,
  // ops of many tiny tasks (a channel of a 7x7 plane) spent more on the shared counter, bouncing
  // between cores, than on the work, and ran slower on two threads than on one.
  static constexpr int kChunksPerThread = 4;

  // Stall back-off (above). Preemption costs a time slice (ms); an interrupt or a cache miss
  // storm, well under kStall.
  static constexpr std::chrono::microseconds kStall{250};
  static constexpr int64_t kMinInlineJobs = 64;  // about one MobileNetV2 run
  static constexpr int64_t kMaxInlineJobs = 4096;

  void Dispatch(int64_t tasks, void* fn, TaskFn call);
  void RunTasks(int slot);
  void WorkerLoop(int slot);
  uint64_t Job() const { return gate_.load(std::memory_order_acquire) >> kJobShift; }

  std::vector<std::thread> workers_;
  // The current job; written by the dispatcher while the gate is closed and empty, read by
  // workers only after they entered the open gate.
  void* job_fn_ = nullptr;
  TaskFn job_call_ = nullptr;
  int64_t job_tasks_ = 0;
  int64_t job_chunk_ = 1;
  std::atomic<int64_t> next_task_{0};
  std::atomic<uint64_t> gate_{kClosed};
  // The caller's alone: jobs still to run inline, the stretch the next stall sets, and the jobs
  // workers shared without a stall since the last change to it.
  int64_t inline_jobs_left_ = 0;
  int64_t next_inline_jobs_ = kMinInlineJobs;
  int64_t clean_jobs_ = 0;
  // Sleep path only.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stopping_{false};
};

// pool->ParallelFor(tasks, fn), or every task on the calling thread (slot 0) when `pool` is
// null — kernels take an optional pool so they can also run without a session.
template <typename Fn>
void ParallelFor(ThreadPool* pool, int64_t tasks, Fn&& fn) {
  using Callable = std::remove_reference_t<Fn>;
  ThreadPool::Run(pool, tasks, const_cast<void*>(static_cast<const void*>(&fn)),
                  &ThreadPool::CallTask<Callable>);
}

// Cuts [0, total) into `tasks` contiguous ranges (lengths rounded up to a multiple of `align`,
// so with align = 16 floats no two threads write one cache line) and calls fn(begin, end) for
// each non-empty one, on the pool like ParallelFor.
template <typename Fn>
void ParallelForRanges(ThreadPool* pool, int64_t total, int64_t tasks, int64_t align, Fn&& fn) {
  tasks = std::max<int64_t>(1, tasks);
  const int64_t chunk = ((total + tasks - 1) / tasks + align - 1) / align * align;
  ParallelFor(pool, tasks, [&](int64_t t, int) {
    const int64_t begin = t * chunk;
    if (begin < total) fn(begin, std::min(total, begin + chunk));
  });
}

}  // namespace kinglet::runtime
