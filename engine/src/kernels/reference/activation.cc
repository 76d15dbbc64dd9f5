#include "kernels/reference/activation.h"

#include <algorithm>
#include <cmath>

namespace kinglet::kernels::reference {

void Relu(const float* x, float* y, int64_t n) {
  // std::max(v, 0) is `v < 0 ? 0 : v` (NaN passes through), written branch-free so it vectorises.
  for (int64_t i = 0; i < n; ++i) y[i] = std::max(x[i], 0.0f);
}

void LeakyRelu(const float* x, float* y, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? alpha * x[i] : x[i];
}

void Clip(const float* x, float* y, int64_t n, float lo, float hi) {
  // Comparison order matters: x < lo and hi < v are false for NaN, so NaN passes through.
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i] < lo ? lo : x[i];
    y[i] = hi < v ? hi : v;
  }
}

void Sigmoid(const float* x, float* y, int64_t n) {
  // exp of a non-positive argument only: no overflow for large |x|.
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] >= 0.0f) {
      y[i] = 1.0f / (1.0f + std::exp(-x[i]));
    } else {
      const float e = std::exp(x[i]);
      y[i] = e / (1.0f + e);
    }
  }
}

void Tanh(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

void HardSigmoid(const float* x, float* y, int64_t n, float alpha, float beta) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::max(0.0f, std::min(1.0f, alpha * x[i] + beta));
}

void HardSwish(const float* x, float* y, int64_t n) {
  constexpr float kAlpha = 1.0f / 6.0f;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = x[i] * std::max(0.0f, std::min(1.0f, kAlpha * x[i] + 0.5f));
  }
}

void Elu(const float* x, float* y, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? alpha * std::expm1(x[i]) : x[i];
}

}  // namespace kinglet::kernels::reference
