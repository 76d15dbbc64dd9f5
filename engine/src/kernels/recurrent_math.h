// The vectorised arithmetic of LSTM/GRU/RNN (reference/recurrent.h's RecurrentMath): dot
// products with eight independent partial sums, so the compiler keeps them in one SIMD register
// without reordering a single sum, and sigmoid/tanh from a polynomial exp (Cephes' expf, about
// 2 ulp) and Cephes' tanhf polynomial near zero, written branch-free so a gate row is computed
// eight or sixteen lanes at a time instead of one libm call per value. Every other recurrent
// activation uses the reference.
#pragma once

#include "kernels/reference/recurrent.h"

namespace kinglet::kernels {

const reference::RecurrentMath& FastRecurrentMath();

// y[i] = 1 / (1 + e^-x[i]) and y[i] = tanh(x[i]) for n floats (in place allowed); NaN in, NaN out.
void SigmoidFast(const float* x, float* y, int64_t n);
void TanhFast(const float* x, float* y, int64_t n);

}  // namespace kinglet::kernels
