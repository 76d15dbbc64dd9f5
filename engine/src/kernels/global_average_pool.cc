#include "kernels/global_average_pool.h"

#include <algorithm>

#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

// Below this many elements per task, waking another thread costs more than it saves.
constexpr int64_t kMinTaskElements = 16 * 1024;

KINGLET_SIMD_CLONES void MeanOfPlanes(int64_t begin, int64_t end, int64_t plane_size, const float* x,
                                      float* y) {
  constexpr int kLanes = 8;
  const int64_t body = plane_size / kLanes * kLanes;
  for (int64_t plane = begin; plane < end; ++plane) {
    const float* v = x + plane * plane_size;
    float lanes[kLanes] = {};
    for (int64_t i = 0; i < body; i += kLanes) {
      for (int l = 0; l < kLanes; ++l) lanes[l] += v[i + l];
    }
    float sum =
        ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    for (int64_t i = body; i < plane_size; ++i) sum += v[i];
    y[plane] = sum / static_cast<float>(plane_size);
  }
}

}  // namespace

void GlobalAveragePool(int64_t planes, int64_t plane_size, const float* x, float* y,
                       runtime::ThreadPool* pool) {
  if (plane_size <= 0) {
    std::fill_n(y, std::max<int64_t>(planes, 0), 0.0f);
    return;
  }
  const int threads = pool != nullptr ? pool->size() : 1;
  const int64_t tasks =
      std::max<int64_t>(1, std::min<int64_t>(threads, planes * plane_size / kMinTaskElements));
  // Ranges of 16 planes: no two threads write one cache line of y.
  runtime::ParallelForRanges(pool, planes, tasks, 16,
                             [&](int64_t begin, int64_t end) { MeanOfPlanes(begin, end, plane_size, x, y); });
}

}  // namespace kinglet::kernels
