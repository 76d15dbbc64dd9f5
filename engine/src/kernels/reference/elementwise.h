// Reference binary elementwise kernels with numpy broadcasting (plan with PlanBroadcast).
#pragma once

#include <cstdint>

#include "kernels/reference/broadcast.h"

namespace kinglet::kernels::reference {

// Instantiated for float, int32_t and int64_t. Integer Add/Sub/Mul wrap on overflow (two's
// complement, as ONNX runtimes do) instead of being undefined behaviour.
template <typename T>
void Add(const BroadcastPlan& p, const T* a, const T* b, T* y);
template <typename T>
void Sub(const BroadcastPlan& p, const T* a, const T* b, T* y);
template <typename T>
void Mul(const BroadcastPlan& p, const T* a, const T* b, T* y);
// Float division follows IEEE (x/0 is +-inf or NaN). Integer division truncates toward zero as
// in C++; INT_MIN / -1 wraps to INT_MIN. A zero integer divisor, which ONNX leaves undefined and
// the CPU would trap on, writes 0 and makes Div return false.
template <typename T>
bool Div(const BroadcastPlan& p, const T* a, const T* b, T* y);

// y = x < 0 ? slope * x : x, with `slope` broadcast (b operand of the plan) to x.
void PRelu(const BroadcastPlan& p, const float* x, const float* slope, float* y);

}  // namespace kinglet::kernels::reference
