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
  const int64_t tasks = std::max<int64_t>(1, std::min(threads, n / kMinTaskElements));
  // Chunks are multiples of 16 floats (a cache line), so threads never share one.
  const int64_t chunk = ((n + tasks - 1) / tasks + 15) / 16 * 16;
  runtime::ParallelFor(pool, tasks, [&](int64_t t, int) {
    const int64_t begin = t * chunk;
    if (begin < n) Range(op, a + begin, b + begin, y + begin, std::min(chunk, n - begin));
  });
}

}  // namespace kinglet::kernels
