// MaxPool over 2-D float planes without an indices output — the shape every CNN uses — with the
// window's tap ranges worked out per row and column instead of per tap. Same contract as
// reference::MaxPool (kernels/reference/pool.h), which it is tested against.
#pragma once

#include "kernels/reference/pool.h"

namespace kinglet::kernels {

// True when MaxPool2d handles `p`: two spatial axes.
bool MaxPool2dApplies(const reference::PoolParams& p);

void MaxPool2d(const reference::PoolParams& p, const float* x, float* y);

}  // namespace kinglet::kernels
