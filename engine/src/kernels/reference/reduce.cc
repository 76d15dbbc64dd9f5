#include "kernels/reference/reduce.h"

#include <limits>

namespace kinglet::kernels::reference {
namespace {

// Adds the input slab under dim d into the output; outputs were zeroed by the caller.
void SumDim(const ReducePlan& p, size_t d, const float* x, float* y) {
  const int64_t n = p.dims[d];
  const int64_t sx = p.in_strides[d];
  const int64_t sy = p.out_strides[d];
  if (d + 1 < p.dims.size()) {
    for (int64_t i = 0; i < n; ++i) SumDim(p, d + 1, x + i * sx, y + i * sy);
    return;
  }
  if (sy == 0) {
    float sum = 0.0f;  // the innermost dim is contiguous
    for (int64_t i = 0; i < n; ++i) sum += x[i];
    *y += sum;
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
  }
}

}  // namespace

ReducePlan PlanReduce(const std::vector<int64_t>& in_shape, const std::vector<bool>& reduce_axis) {
  ReducePlan p;
  std::vector<bool> reduced;
  for (size_t d = 0; d < in_shape.size(); ++d) {
    const int64_t n = in_shape[d];
    if (reduce_axis[d]) {
      p.reduced_count *= n;
    } else {
      p.out_count *= n;
    }
    if (n == 1) continue;
    if (!p.dims.empty() && reduced.back() == reduce_axis[d]) {
      p.dims.back() *= n;
    } else {
      p.dims.push_back(n);
      reduced.push_back(reduce_axis[d]);
    }
  }
  if (p.dims.empty()) {
    p.dims = {1};
    reduced = {false};
  }
  const size_t rank = p.dims.size();
  p.in_strides.assign(rank, 1);
  p.out_strides.assign(rank, 0);
  int64_t in_stride = 1;
  int64_t out_stride = 1;
  for (size_t d = rank; d-- > 0;) {
    p.in_strides[d] = in_stride;
    in_stride *= p.dims[d];
    if (!reduced[d]) {
      p.out_strides[d] = out_stride;
      out_stride *= p.dims[d];
    }
  }
  return p;
}

void ReduceMean(const ReducePlan& p, const float* x, float* y) {
  for (int64_t i = 0; i < p.out_count; ++i) y[i] = 0.0f;
  if (p.out_count == 0) return;
  if (p.reduced_count == 0) {
    for (int64_t i = 0; i < p.out_count; ++i) y[i] = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  SumDim(p, 0, x, y);
  const float count = static_cast<float>(p.reduced_count);
  for (int64_t i = 0; i < p.out_count; ++i) y[i] /= count;
}

}  // namespace kinglet::kernels::reference
