#include "kernels/reference/softmax.h"

#include <cmath>

namespace kinglet::kernels::reference {
namespace {

// For one [axis, inner] slab: max[j] = max over the axis, sum[j] = sum of exp(x - max[j]).
// When `exp_out` is set, it also stores exp(x - max) there.
void MaxAndExpSum(const SoftmaxParams& p, const float* x, float* max, float* sum, float* exp_out) {
  const int64_t inner = p.inner;
  for (int64_t j = 0; j < inner; ++j) {
    max[j] = x[j];
    sum[j] = 0.0f;
  }
  for (int64_t a = 1; a < p.axis_size; ++a) {
    const float* row = x + a * inner;
    for (int64_t j = 0; j < inner; ++j) max[j] = row[j] > max[j] ? row[j] : max[j];
  }
  for (int64_t a = 0; a < p.axis_size; ++a) {
    const float* row = x + a * inner;
    for (int64_t j = 0; j < inner; ++j) {
      const float e = std::exp(row[j] - max[j]);
      sum[j] += e;
      if (exp_out != nullptr) exp_out[a * inner + j] = e;
    }
  }
}

}  // namespace

void Softmax(const SoftmaxParams& p, const float* x, float* y, float* scratch) {
  if (p.axis_size == 0) return;
  const int64_t slab = p.axis_size * p.inner;
  float* max = scratch;
  float* sum = scratch + p.inner;
  for (int64_t o = 0; o < p.outer; ++o) {
    float* ys = y + o * slab;
    MaxAndExpSum(p, x + o * slab, max, sum, ys);
    for (int64_t j = 0; j < p.inner; ++j) sum[j] = 1.0f / sum[j];
    for (int64_t a = 0; a < p.axis_size; ++a) {
      float* row = ys + a * p.inner;
      for (int64_t j = 0; j < p.inner; ++j) row[j] *= sum[j];
    }
  }
}

void LogSoftmax(const SoftmaxParams& p, const float* x, float* y, float* scratch) {
  if (p.axis_size == 0) return;
  const int64_t slab = p.axis_size * p.inner;
  float* max = scratch;
  float* sum = scratch + p.inner;
  for (int64_t o = 0; o < p.outer; ++o) {
    const float* xs = x + o * slab;
    float* ys = y + o * slab;
    MaxAndExpSum(p, xs, max, sum, nullptr);
    // (x - max) - log(sum), in this order: folding max + log(sum) first loses the small term
    // against a large max.
    for (int64_t j = 0; j < p.inner; ++j) sum[j] = std::log(sum[j]);
    for (int64_t a = 0; a < p.axis_size; ++a) {
      const float* xr = xs + a * p.inner;
      float* yr = ys + a * p.inner;
      for (int64_t j = 0; j < p.inner; ++j) yr[j] = (xr[j] - max[j]) - sum[j];
    }
  }
}

}  // namespace kinglet::kernels::reference
