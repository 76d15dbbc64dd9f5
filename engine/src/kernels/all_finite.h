// Whether a float buffer holds only finite values. Kernels that reassociate arithmetic
// (Winograd's transforms subtract neighbouring inputs, so one infinity becomes inf - inf = NaN)
// or skip terms (sparse weights skip 0 * x, which is NaN for an infinite x) check their input
// with it and hand non-finite inputs to a kernel that keeps the reference's IEEE results.
#pragma once

#include <cstdint>

namespace kinglet::kernels {

bool AllFinite(const float* x, int64_t n);

}  // namespace kinglet::kernels
