#include "kernels/depthwise_conv_2d.h"

#include <algorithm>

#include "kernels/copy_run.h"
#include "kernels/fused_activation_inline.h"
#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

// The 3x3 path's input: the channel inside a zero border as wide as the padding, split for
// stride 2 into its four (row parity, column parity) planes. In those planes output (oh, ow)
// reads, for every tap, the element at oh * cols + ow plus a shift fixed per tap, so a whole
// channel is one run of nine shifted streams with no row tails (MobileNet's 7x7 and 14x14 planes
// would otherwise spend most of their time in them) and no strided reads.
struct Planes {
  int64_t stride;        // 1 or 2; stride * stride planes
  int64_t rows, cols;    // of each plane
  int64_t plane_floats;  // rows * cols plus the few floats the last outputs' taps read past it
  int64_t run;           // outputs computed: out_h * cols (columns past out_w are dropped)
};

Planes PlanesOf(const reference::ConvParams& p) {
  Planes g;
  g.stride = p.strides[0] == p.strides[1] ? p.strides[0] : 0;
  const int64_t s = std::max<int64_t>(g.stride, 1);
  g.rows = (p.in_spatial[0] + p.pads_begin[0] + p.pads_end[0] + s - 1) / s;
  g.cols = (p.in_spatial[1] + p.pads_begin[1] + p.pads_end[1] + s - 1) / s;
  g.plane_floats = (g.rows * g.cols + 4 + 15) / 16 * 16;
  g.run = p.out_spatial[0] * g.cols;
  return g;
}

// 3x3, undilated, the same stride 1 or 2 on both axes (MobileNet's layers) take the plane path.
bool IsThreeByThree(const reference::ConvParams& p) {
  const int64_t stride = PlanesOf(p).stride;
  return p.kernel[0] == 3 && p.kernel[1] == 3 && p.dilations[0] == 1 && p.dilations[1] == 1 &&
         (stride == 1 || stride == 2);
}

size_t PlaneBytes(const reference::ConvParams& p) {
  if (!IsThreeByThree(p)) return 0;
  const Planes g = PlanesOf(p);
  return (static_cast<size_t>(g.stride * g.stride * g.plane_floats + g.run) * sizeof(float) + 63) / 64 * 64;
}

// Output columns [lo, hi) whose tap at input column ow * stride + offset lies in [0, in_w).
void ValidColumns(int64_t offset, int64_t stride, int64_t in_w, int64_t out_w, int64_t* lo, int64_t* hi) {
  *lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  *hi = offset > in_w - 1 ? 0 : std::min(out_w, (in_w - 1 - offset) / stride + 1);
  if (*hi < *lo) *hi = *lo;
}

// Copies the channel in (padded row h + pad, column w + pad, split by parity for stride 2) and
// zeroes the rest: for stride 1 only the border, which every row's copy would otherwise rewrite.
[[gnu::always_inline]] inline void FillPlanes(const reference::ConvParams& p, const Planes& g, const float* x,
                                              float* planes) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t top = p.pads_begin[0], left = p.pads_begin[1];
  if (g.stride == 1) {
    std::fill_n(planes, top * g.cols, 0.0f);
    for (int64_t h = 0; h < in_h; ++h) {
      float* row = planes + (h + top) * g.cols;
      std::fill_n(row, left, 0.0f);
      CopyShortRun(x + h * in_w, in_w, row + left);
      std::fill(row + left + in_w, row + g.cols, 0.0f);
    }
    std::fill(planes + (in_h + top) * g.cols, planes + g.plane_floats, 0.0f);
    return;
  }
  std::fill_n(planes, 4 * g.plane_floats, 0.0f);
  for (int64_t h = 0; h < in_h; ++h) {
    const float* src = x + h * in_w;
    const int64_t ph = h + top;
    float* even = planes + ((ph % 2) * 2) * g.plane_floats + (ph / 2) * g.cols;
    float* odd = even + g.plane_floats;
    // Input column w lands in column (w + left) / 2 of the plane of parity (w + left) % 2: the
    // input's even columns in one plane, its odd ones in the other, each a contiguous run.
    float* from_even = (left % 2 == 0 ? even : odd) + left / 2;
    float* from_odd = (left % 2 == 0 ? odd : even) + (left + 1) / 2;
    const int64_t pairs = in_w / 2;
    for (int64_t j = 0; j < pairs; ++j) {
      from_even[j] = src[2 * j];
      from_odd[j] = src[2 * j + 1];
    }
    if (in_w % 2 != 0) from_even[pairs] = src[in_w - 1];
  }
}

// z[i] = bias + the nine taps of output i of the run. Always inlined, so it is compiled for its
// caller's ISA (AVX2 on x86-64).
template <int S>
[[gnu::always_inline]] inline void Run3x3(const float* planes, const Planes& g, const float* w, float bias,
                                          float* __restrict z) {
  const float* s[9];
  for (int kh = 0; kh < 3; ++kh) {
    for (int kw = 0; kw < 3; ++kw) {
      s[kh * 3 + kw] = planes + ((kh % S) * S + kw % S) * g.plane_floats + (kh / S) * g.cols + kw / S;
    }
  }
  const float *s0 = s[0], *s1 = s[1], *s2 = s[2], *s3 = s[3], *s4 = s[4], *s5 = s[5], *s6 = s[6], *s7 = s[7],
              *s8 = s[8];
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7],
              w8 = w[8];
  for (int64_t i = 0; i < g.run; ++i) {
    z[i] = bias + w0 * s0[i] + w1 * s1[i] + w2 * s2[i] + w3 * s3[i] + w4 * s4[i] + w5 * s5[i] + w6 * s6[i] +
           w7 * s7[i] + w8 * s8[i];
  }
}

KINGLET_SIMD_AVX2_ONLY void ThreeByThreePlane(const reference::ConvParams& p, const float* x, const float* w,
                                              float bias, const reference::FusedActivationParams& activation,
                                              float* y, float* buffer) {
  const Planes g = PlanesOf(p);
  float* z = buffer + g.stride * g.stride * g.plane_floats;
  FillPlanes(p, g, x, buffer);
  if (g.stride == 1) {
    Run3x3<1>(buffer, g, w, bias, z);
  } else {
    Run3x3<2>(buffer, g, w, bias, z);
  }
  ApplyActivationInline(activation, z, g.run);
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  for (int64_t oh = 0; oh < out_h; ++oh) CopyShortRun(z + oh * g.cols, out_w, y + oh * out_w);
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
  // The scratch is sized for the 3x3 path either way; without SIMD kernels GeneralPlane runs.
  const bool three_by_three = IsThreeByThree(p) && SimdKernelsAvailable();
  const size_t plane_bytes = PlaneBytes(p);
  auto task = [&](int64_t t, int slot) {
    const int64_t n = t / p.out_channels, m = t % p.out_channels;
    const float* x_c = x + (n * p.in_channels + m / multiplier) * in_plane;
    const float b = bias != nullptr ? bias[m] : 0.0f;
    if (three_by_three) {
      float* buffer = reinterpret_cast<float*>(static_cast<char*>(scratch) + plane_bytes * slot);
      ThreeByThreePlane(p, x_c, w + m * taps, b, activation, y + t * out_plane, buffer);
    } else {
      GeneralPlane(p, x_c, w + m * taps, b, activation, y + t * out_plane);
    }
  };
  runtime::ParallelFor(pool, p.batch * p.out_channels, task);
}

}  // namespace kinglet::kernels
