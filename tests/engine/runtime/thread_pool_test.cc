// The intra-op thread pool: every task runs exactly once, a slot is never used by two threads at
// the same time, workers that fell asleep wake for the next job, a worker stalled inside a job
// sends the next jobs to the caller, and edge counts run inline.
#include "runtime/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace kinglet::runtime {
namespace {

TEST(ThreadPoolTest, EveryTaskRunsOnceWithSlotsInRangeAndNeverShared) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t tasks : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
      std::vector<std::atomic<int>> busy(static_cast<size_t>(threads));
      std::atomic<bool> bad_slot{false}, shared_slot{false};
      pool.ParallelFor(tasks, [&](int64_t task, int slot) {
        if (slot < 0 || slot >= threads) {
          bad_slot = true;
          return;
        }
        if (busy[slot].fetch_add(1) != 0) shared_slot = true;
        runs[task].fetch_add(1);
        busy[slot].fetch_sub(1);
      });
      EXPECT_FALSE(bad_slot) << threads << " threads, " << tasks << " tasks";
      EXPECT_FALSE(shared_slot) << threads << " threads, " << tasks << " tasks";
      for (int64_t t = 0; t < tasks; ++t) EXPECT_EQ(runs[t].load(), 1) << "task " << t;
    }
  }
}

TEST(ThreadPoolTest, SleepingWorkersWakeForTheNextJob) {
  ThreadPool pool(3);
  for (int round = 0; round < 3; ++round) {
    // Long enough for every worker to give up spinning and sleep.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::atomic<int> sum{0};
    std::vector<std::atomic<int>> by_slot(3);
    pool.ParallelFor(300, [&](int64_t task, int slot) {
      sum += static_cast<int>(task);
      by_slot[slot]++;
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    });
    EXPECT_EQ(sum.load(), 299 * 300 / 2);
    EXPECT_EQ(by_slot[0] + by_slot[1] + by_slot[2], 300);
  }
}

// A worker descheduled while it holds a task (here: asleep in it) makes the caller wait out its
// time slice; the next jobs run on the caller alone, and after a while the workers are used again.
TEST(ThreadPoolTest, AStalledWorkerSendsTheNextJobsToTheCaller) {
  using std::chrono::steady_clock;
  ThreadPool pool(2);
  std::atomic<bool> worker_in{false};
  const auto start = steady_clock::now();
  pool.ParallelFor(2, [&](int64_t, int slot) {
    if (slot != 0) {
      worker_in = true;
      // Well over twice the caller's share, which lasts until the new worker got here (slow under
      // ASan or qemu).
      std::this_thread::sleep_for(std::chrono::milliseconds(100) + 3 * (steady_clock::now() - start));
      return;
    }
    // The caller's task ends once the worker holds the other one, so the caller then waits.
    const auto deadline = steady_clock::now() + std::chrono::seconds(5);
    while (!worker_in && steady_clock::now() < deadline) std::this_thread::yield();
  });
  ASSERT_TRUE(worker_in.load());
  // Eight short tasks; returns how many ran off the caller.
  auto tasks_off_caller = [&pool] {
    std::atomic<int> off_caller{0};
    pool.ParallelFor(8, [&](int64_t, int slot) {
      if (slot != 0) off_caller++;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    });
    return off_caller.load();
  };
  for (int job = 0; job < 20; ++job) EXPECT_EQ(tasks_off_caller(), 0) << "job " << job;
  bool worker_back = false;
  for (int job = 0; job < 5000 && !worker_back; ++job) worker_back = tasks_off_caller() > 0;
  EXPECT_TRUE(worker_back);
}

// Many rounds: a worker that read the destructor's last job before its stop flag once slept
// through the shutdown, and the join hung, about one round in 1,500-20,000.
TEST(ThreadPoolTest, DestroyedWhileIdleOrRightAfterAJob) {
  for (int round = 0; round < 100; ++round) {
    { ThreadPool idle(4); }
    ThreadPool busy(4);
    std::atomic<int> count{0};
    busy.ParallelFor(64, [&](int64_t, int) { count++; });
    ASSERT_EQ(count.load(), 64);
  }
}

TEST(ThreadPoolTest, RangesCoverEveryIndexOnceAlignedAndNonEmpty) {
  ThreadPool pool(3);
  for (int64_t total : {0, 1, 15, 16, 17, 1000}) {
    for (int64_t tasks : {-1, 0, 1, 2, 3, 7, 2000}) {
      for (int64_t align : {1, 16}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(total));
        std::atomic<bool> bad{false};
        for (ThreadPool* p : {&pool, static_cast<ThreadPool*>(nullptr)}) {
          ParallelForRanges(p, total, tasks, align, [&](int64_t begin, int64_t end) {
            if (begin < 0 || end > total || begin >= end || begin % align != 0) bad = true;
            for (int64_t i = begin; i < end && i < total && i >= 0; ++i) hits[i].fetch_add(1);
          });
        }
        EXPECT_FALSE(bad) << total << " " << tasks << " " << align;
        for (int64_t i = 0; i < total; ++i) ASSERT_EQ(hits[i].load(), 2) << total << " " << tasks << " " << i;
      }
    }
  }
}

}  // namespace
}  // namespace kinglet::runtime
