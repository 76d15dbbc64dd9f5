// GlobalAveragePool's fast kernel: the mean of each plane in eight float lanes (vectorised, with
// an AVX2 clone on x86-64), planes split over the pool in contiguous ranges. The reference sums
// each plane serially in double, a dependency chain of one add per element: SqueezeNet's final
// pool (1000 planes of 13x13) took longer than some of its convolutions. Tested against
// reference::GlobalAveragePool.
#pragma once

#include <cstdint>

namespace kinglet::runtime {
class ThreadPool;
}

namespace kinglet::kernels {

// y[p] = mean of x[p * plane_size, (p + 1) * plane_size) for p in [0, planes); 0 for empty
// planes. `pool` may be null (the calling thread).
void GlobalAveragePool(int64_t planes, int64_t plane_size, const float* x, float* y,
                       runtime::ThreadPool* pool);

}  // namespace kinglet::kernels
