// Float Add, Sub, Mul and Div on two tensors of the same shape — the residual adds and gating
// products of CNNs and RNNs — as flat vector loops split across the thread pool. The reference
// (kernels/reference/elementwise.h) handles every broadcast and dtype and is compiled for size;
// this is the hot case. One IEEE operation per element, so results equal the reference's bit
// for bit.
#pragma once

#include <cstdint>

namespace kinglet::runtime {
class ThreadPool;
}

namespace kinglet::kernels {

enum class BinaryFloatOp { kAdd, kSub, kMul, kDiv };

// y[i] = a[i] op b[i] for i < n; y may alias a or b. `pool` may be null.
void BinaryFloatSameShape(BinaryFloatOp op, const float* a, const float* b, float* y, int64_t n,
                          runtime::ThreadPool* pool);

}  // namespace kinglet::kernels
