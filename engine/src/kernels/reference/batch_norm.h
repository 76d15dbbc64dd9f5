// Reference inference-mode batch normalisation over X viewed as [batch, channels, spatial]:
//   y = scale * (x - mean) / sqrt(var + epsilon) + bias
#pragma once

#include <cstdint>

namespace kinglet::kernels::reference {

struct BatchNormParams {
  int64_t batch = 1;
  int64_t channels = 1;
  int64_t spatial = 1;  // product of the dims after the channel dim
  // Opsets 7-8 with spatial=0 keep statistics per element: scale, bias, mean and var then hold
  // channels * spatial values instead of channels.
  bool per_element_stats = false;
  float epsilon = 1e-5f;
};

// y may alias x.
void BatchNorm(const BatchNormParams& p, const float* x, const float* scale, const float* bias,
               const float* mean, const float* var, float* y);

}  // namespace kinglet::kernels::reference
