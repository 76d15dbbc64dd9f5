#include "kernels/reference/batch_norm.h"

#include <cmath>

namespace kinglet::kernels::reference {

void BatchNorm(const BatchNormParams& p, const float* x, const float* scale, const float* bias,
               const float* mean, const float* var, float* y) {
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t c = 0; c < p.channels; ++c) {
      const int64_t offset = (n * p.channels + c) * p.spatial;
      const float* xs = x + offset;
      float* ys = y + offset;
      if (p.per_element_stats) {
        const int64_t s0 = c * p.spatial;
        for (int64_t s = 0; s < p.spatial; ++s) {
          const int64_t k = s0 + s;
          ys[s] = (xs[s] - mean[k]) * (scale[k] / std::sqrt(var[k] + p.epsilon)) + bias[k];
        }
      } else {
        const float mul = scale[c] / std::sqrt(var[c] + p.epsilon);
        const float m = mean[c];
        const float b = bias[c];
        for (int64_t s = 0; s < p.spatial; ++s) ys[s] = (xs[s] - m) * mul + b;
      }
    }
  }
}

}  // namespace kinglet::kernels::reference
