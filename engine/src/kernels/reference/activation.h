// Reference unary activations over n contiguous floats. y may alias x.
#pragma once

#include <cstdint>

namespace kinglet::kernels::reference {

void Relu(const float* x, float* y, int64_t n);
// y = x < 0 ? alpha * x : x
void LeakyRelu(const float* x, float* y, int64_t n, float alpha);
// y = min(max(x, lo), hi): when lo > hi every y is hi, as ONNX specifies; NaN stays NaN.
void Clip(const float* x, float* y, int64_t n, float lo, float hi);
void Sigmoid(const float* x, float* y, int64_t n);
void Tanh(const float* x, float* y, int64_t n);
// y = max(0, min(1, alpha * x + beta))
void HardSigmoid(const float* x, float* y, int64_t n, float alpha, float beta);
// y = x * HardSigmoid(x) with alpha = 1/6, beta = 1/2
void HardSwish(const float* x, float* y, int64_t n);
// y = x < 0 ? alpha * (exp(x) - 1) : x
void Elu(const float* x, float* y, int64_t n, float alpha);

}  // namespace kinglet::kernels::reference
