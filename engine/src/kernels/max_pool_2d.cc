#include "kernels/max_pool_2d.h"

#include <algorithm>
#include <limits>

namespace kinglet::kernels {
namespace {

// Taps [lo, hi) of a window starting at `start` (with `dilation` between taps) that land
// inside [0, size).
struct TapRange {
  int64_t lo;
  int64_t hi;
};

TapRange TapsInside(int64_t start, int64_t kernel, int64_t dilation, int64_t size) {
  const int64_t lo = start < 0 ? (-start + dilation - 1) / dilation : 0;
  const int64_t hi = start > size - 1 ? 0 : std::min(kernel, (size - 1 - start) / dilation + 1);
  return {lo, std::max(lo, hi)};
}

}  // namespace

bool MaxPool2dApplies(const reference::PoolParams& p) { return p.kernel.size() == 2; }

void MaxPool2d(const reference::PoolParams& p, const float* x, float* y) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  const int64_t dh = p.dilations[0], dw = p.dilations[1];
  for (int64_t plane = 0; plane < p.planes; ++plane) {
    const float* x_p = x + plane * in_h * in_w;
    for (int64_t oh = 0; oh < out_h; ++oh) {
      const int64_t h0 = oh * p.strides[0] - p.pads_begin[0];
      const TapRange rows = TapsInside(h0, p.kernel[0], dh, in_h);
      for (int64_t ow = 0; ow < out_w; ++ow) {
        const int64_t w0 = ow * p.strides[1] - p.pads_begin[1];
        const TapRange cols = TapsInside(w0, p.kernel[1], dw, in_w);
        // As the reference: the first in-input tap seeds the maximum (so a NaN there stays),
        // later taps win only when strictly greater; a window outside the input gives lowest().
        float best = std::numeric_limits<float>::lowest();
        bool seeded = false;
        for (int64_t kh = rows.lo; kh < rows.hi; ++kh) {
          const int64_t row = (h0 + kh * dh) * in_w + w0;  // w0 may be negative: index, not pointer
          for (int64_t kw = cols.lo; kw < cols.hi; ++kw) {
            const float v = x_p[row + kw * dw];
            if (!seeded || v > best) best = v;
            seeded = true;
          }
        }
        *y++ = best;
      }
    }
  }
}

}  // namespace kinglet::kernels
