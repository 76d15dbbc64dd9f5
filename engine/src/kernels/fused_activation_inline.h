// The fused activation for the fast kernels' epilogues: ReLU and Clip (ReLU6) — most layers'
// activation — inline, so the loop vectorises on the row the kernel just wrote (compiled at the
// kernels' optimisation level); the rest call the reference. Same comparisons as
// reference/activation.cc, so NaN handling is identical.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/reference/fused_activation.h"

namespace kinglet::kernels {

inline void ApplyActivationInline(const reference::FusedActivationParams& a, float* row, int64_t n) {
  switch (a.kind) {
    case reference::FusedActivationKind::kNone:
      return;
    case reference::FusedActivationKind::kRelu:
      for (int64_t j = 0; j < n; ++j) row[j] = std::max(row[j], 0.0f);
      return;
    case reference::FusedActivationKind::kClip:
      for (int64_t j = 0; j < n; ++j) {
        const float v = row[j] < a.min ? a.min : row[j];
        row[j] = a.max < v ? a.max : v;
      }
      return;
    default:
      reference::ApplyFusedActivation(a, row, n);
  }
}

}  // namespace kinglet::kernels
