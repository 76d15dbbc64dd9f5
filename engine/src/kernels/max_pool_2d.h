// MaxPool over 2-D float planes without an indices output — the shape every CNN uses. Separable:
// for each output row, the maximum down the window's rows is taken for the whole input row
// (a loop the compiler turns into SIMD max instructions), then across the window's columns, so
// a kh x kw window costs kh + kw comparisons instead of kh * kw, and no branch depends on data.
// Same contract as reference::MaxPool (kernels/reference/pool.h), which it is tested against.
#pragma once

#include <cstddef>

#include "kernels/reference/pool.h"

namespace kinglet::runtime {
class ThreadPool;
}

namespace kinglet::kernels {

// True when MaxPool2d handles `p`: two spatial axes.
bool MaxPool2dApplies(const reference::PoolParams& p);

// Scratch bytes for `threads` threads: one input row each.
size_t MaxPool2dScratchBytes(const reference::PoolParams& p, int threads);

// Planes are split across `pool` (null: the calling thread).
void MaxPool2d(const reference::PoolParams& p, const float* x, float* y, runtime::ThreadPool* pool, void* scratch);

}  // namespace kinglet::kernels
