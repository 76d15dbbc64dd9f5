#include "kernels/binary_float.h"

#include <algorithm>

#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

// Below this many elements per task, waking another thread costs more than it saves.
constexpr int64_t kMinTaskElements = 32 * 1024;

KINGLET_SIMD_CLONES void Range(BinaryFloatOp op, const float* a, const float* b, float* y, int64_t n) {
  switch (op) {
    case BinaryFloatOp::kAdd:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
      return;
    case BinaryFloatOp::kSub:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] - b[i];
      return;
    case BinaryFloatOp::kMul:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
      return;
    case BinaryFloatOp::kDiv:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] / b[i];
      return;
  }
}

}  // namespace

void BinaryFloatSameShape(BinaryFloatOp op, const float* a, const float* b, float* y, int64_t n,
                          runtime::ThreadPool* pool) {
  const int64_t threads = pool != nullptr ? pool->size() : 1;
  const int64_t tasks = std::min(threads, n / kMinTaskElements);
  // Ranges are multiples of 16 floats (a cache line), so threads never share one.
  runtime::ParallelForRanges(pool, n, tasks, 16, [&](int64_t begin, int64_t end) {
    Range(op, a + begin, b + begin, y + begin, end - begin);
  });
}

}  // namespace kinglet::kernels
