#include "kernels/depthwise_conv_2d.h"

#include <algorithm>

#include "kernels/fused_activation_inline.h"
#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

// 3x3, undilated, stride 1 or 2 (MobileNet's layers) take the padded-plane path.
bool IsThreeByThree(const reference::ConvParams& p) {
  return p.kernel[0] == 3 && p.kernel[1] == 3 && p.dilations[0] == 1 && p.dilations[1] == 1 &&
         p.strides[1] <= 2;
}

int64_t PaddedWidth(const reference::ConvParams& p) { return p.in_spatial[1] + p.pads_begin[1] + p.pads_end[1]; }
int64_t PaddedHeight(const reference::ConvParams& p) { return p.in_spatial[0] + p.pads_begin[0] + p.pads_end[0]; }

size_t PlaneBytes(const reference::ConvParams& p) {
  if (!IsThreeByThree(p)) return 0;
  return (static_cast<size_t>(PaddedHeight(p) * PaddedWidth(p)) * sizeof(float) + 63) / 64 * 64;
}

// Output columns [lo, hi) whose tap at input column ow * stride + offset lies in [0, in_w).
void ValidColumns(int64_t offset, int64_t stride, int64_t in_w, int64_t out_w, int64_t* lo, int64_t* hi) {
  *lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  *hi = offset > in_w - 1 ? 0 : std::min(out_w, (in_w - 1 - offset) / stride + 1);
  if (*hi < *lo) *hi = *lo;
}

// One output row of a 3x3 conv over the zero-padded plane: nine FMAs per output, no bounds,
// the row written once. S is the column stride. Always inlined, so it is compiled for the ISA of
// each clone of its caller.
template <int S>
[[gnu::always_inline]] inline void Row3x3(const float* r0, const float* r1, const float* r2, const float* w, float bias, int64_t out_w,
            float* y) {
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
  for (int64_t ow = 0; ow < out_w; ++ow) {
    const int64_t c = ow * S;
    y[ow] = bias + w0 * r0[c] + w1 * r0[c + 1] + w2 * r0[c + 2] + w3 * r1[c] + w4 * r1[c + 1] + w5 * r1[c + 2] +
            w6 * r2[c] + w7 * r2[c + 1] + w8 * r2[c + 2];
  }
}

// Copies the input plane into the middle of a zero border as wide as the padding, so every tap
// of every output lands inside: the border costs one copy of the input instead of a bounds
// check per tap.
void PadPlane(const reference::ConvParams& p, const float* x, float* padded) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t width = PaddedWidth(p);
  std::fill_n(padded, PaddedHeight(p) * width, 0.0f);
  for (int64_t h = 0; h < in_h; ++h) {
    std::copy(x + h * in_w, x + (h + 1) * in_w, padded + (h + p.pads_begin[0]) * width + p.pads_begin[1]);
  }
}

KINGLET_SIMD_CLONES void ThreeByThreePlane(const reference::ConvParams& p, const float* x, const float* w, float bias,
                                           const reference::FusedActivationParams& activation, float* y,
                                           float* padded) {
  PadPlane(p, x, padded);
  const int64_t width = PaddedWidth(p), out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  for (int64_t oh = 0; oh < out_h; ++oh) {
    const float* r0 = padded + oh * p.strides[0] * width;
    float* y_row = y + oh * out_w;
    if (p.strides[1] == 1) {
      Row3x3<1>(r0, r0 + width, r0 + 2 * width, w, bias, out_w, y_row);
    } else {
      Row3x3<2>(r0, r0 + width, r0 + 2 * width, w, bias, out_w, y_row);
    }
    ApplyActivationInline(activation, y_row, out_w);
  }
}

// Any other geometry: each output row accumulates kh x kw shifted input rows, each scaled by one
// weight; with unit stride the inner loop is contiguous and vectorises.
void GeneralPlane(const reference::ConvParams& p, const float* x, const float* w, float bias,
                  const reference::FusedActivationParams& activation, float* y) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  const int64_t k_h = p.kernel[0], k_w = p.kernel[1];
  const int64_t sh = p.strides[0], sw = p.strides[1];
  for (int64_t oh = 0; oh < out_h; ++oh) {
    float* y_row = y + oh * out_w;
    std::fill_n(y_row, out_w, bias);
    for (int64_t kh = 0; kh < k_h; ++kh) {
      const int64_t ih = oh * sh - p.pads_begin[0] + kh * p.dilations[0];
      if (ih < 0 || ih >= in_h) continue;
      const float* x_row = x + ih * in_w;
      for (int64_t kw = 0; kw < k_w; ++kw) {
        const float weight = w[kh * k_w + kw];
        const int64_t offset = kw * p.dilations[1] - p.pads_begin[1];
        int64_t lo, hi;
        ValidColumns(offset, sw, in_w, out_w, &lo, &hi);
        if (hi == lo) continue;  // this tap lands outside the row for every output
        if (sw == 1) {
          const float* src = x_row + lo + offset;  // lo + offset >= 0: never points before the row
          float* dst = y_row + lo;
          for (int64_t i = 0; i < hi - lo; ++i) dst[i] += weight * src[i];
        } else {
          for (int64_t ow = lo; ow < hi; ++ow) y_row[ow] += weight * x_row[ow * sw + offset];
        }
      }
    }
    ApplyActivationInline(activation, y_row, out_w);
  }
}

}  // namespace

bool DepthwiseConv2dApplies(const reference::ConvParams& p) {
  return p.rank() == 2 && p.group > 1 && p.in_channels == p.group;
}

size_t DepthwiseConv2dScratchBytes(const reference::ConvParams& p, int threads) {
  return PlaneBytes(p) * static_cast<size_t>(threads);
}

void DepthwiseConv2d(const reference::ConvParams& p, const float* x, const float* w, const float* bias,
                     const reference::FusedActivationParams& activation, float* y, runtime::ThreadPool* pool,
                     void* scratch) {
  const int64_t multiplier = p.out_channels / p.group;
  const int64_t in_plane = p.in_spatial[0] * p.in_spatial[1];
  const int64_t out_plane = p.out_spatial[0] * p.out_spatial[1];
  const int64_t taps = p.kernel[0] * p.kernel[1];
  const bool three_by_three = IsThreeByThree(p);
  auto task = [&](int64_t t, int slot) {
    const int64_t n = t / p.out_channels, m = t % p.out_channels;
    const float* x_c = x + (n * p.in_channels + m / multiplier) * in_plane;
    const float b = bias != nullptr ? bias[m] : 0.0f;
    if (three_by_three) {
      float* padded = reinterpret_cast<float*>(static_cast<char*>(scratch) + PlaneBytes(p) * slot);
      ThreeByThreePlane(p, x_c, w + m * taps, b, activation, y + t * out_plane, padded);
    } else {
      GeneralPlane(p, x_c, w + m * taps, b, activation, y + t * out_plane);
    }
  };
  runtime::ParallelFor(pool, p.batch * p.out_channels, task);
}

}  // namespace kinglet::kernels
