// Numpy-style broadcasting for binary elementwise kernels: plan once, then loop with strides.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kinglet::kernels::reference {

// How to walk y = f(a, b) over the broadcast output. Output dims of size 1 are dropped and
// neighbouring dims that broadcast alike are merged, so the common cases (same shapes, a scalar,
// a per-channel vector) become one or two flat loops. Always has at least one dim.
struct BroadcastPlan {
  std::vector<int64_t> dims;
  std::vector<int64_t> a_strides;  // in elements; 0 where a is broadcast
  std::vector<int64_t> b_strides;
  std::vector<int64_t> y_strides;
};

// `out_shape` must be the broadcast of `a_shape` and `b_shape` (see ops::BroadcastShapes).
BroadcastPlan PlanBroadcast(const std::vector<int64_t>& a_shape,
                            const std::vector<int64_t>& b_shape,
                            const std::vector<int64_t>& out_shape);

namespace internal {

template <typename A, typename B, typename Y, typename F>
void BroadcastDim(const BroadcastPlan& p, size_t d, const A* a, const B* b, Y* y, F& f) {
  const int64_t n = p.dims[d];
  const int64_t sa = p.a_strides[d];
  const int64_t sb = p.b_strides[d];
  if (d + 1 < p.dims.size()) {
    const int64_t sy = p.y_strides[d];
    for (int64_t i = 0; i < n; ++i) BroadcastDim(p, d + 1, a + i * sa, b + i * sb, y + i * sy, f);
    return;
  }
  // The innermost output dim is always contiguous; specialise the usual stride pairs so the
  // compiler can vectorise them.
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const B bv = *b;
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const A av = *a;
    for (int64_t i = 0; i < n; ++i) y[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i * sa], b[i * sb]);
  }
}

}  // namespace internal

// y[i] = f(a[...], b[...]) over the whole output. Recursion depth is the plan's rank; nothing
// is allocated. y may alias a or b only if that input is not broadcast.
template <typename A, typename B, typename Y, typename F>
void BroadcastBinary(const BroadcastPlan& p, const A* a, const B* b, Y* y, F f) {
  internal::BroadcastDim(p, 0, a, b, y, f);
}

}  // namespace kinglet::kernels::reference
