#include "kernels/depthwise_conv_2d.h"

#include <algorithm>
#include <limits>

#include "kernels/copy_run.h"
#include "kernels/deinterleave.h"
#include "kernels/fused_activation_inline.h"
#include "kernels/lanes.h"
#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

constexpr int64_t kBlock = 8;  // floats per Lanes8

// The 3x3 path's input: the channel inside a zero border as wide as the padding, split for
// stride 2 into its four (row parity, column parity) planes. In those planes output (oh, ow)
// reads, for every tap, the element at oh * cols + ow plus a shift fixed per tap, so an output row
// is nine shifted contiguous streams, with no bounds tests and no strided reads.
struct Planes {
  int64_t stride;        // 1 or 2; stride * stride planes
  int64_t rows, cols;    // of each plane
  int64_t plane_floats;  // rows * cols plus the floats a row's last 8-float block reads past it
};

Planes PlanesOf(const reference::ConvParams& p) {
  Planes g;
  g.stride = p.strides[0] == p.strides[1] ? p.strides[0] : 0;
  const int64_t s = std::max<int64_t>(g.stride, 1);
  g.rows = (p.in_spatial[0] + p.pads_begin[0] + p.pads_end[0] + s - 1) / s;
  g.cols = (p.in_spatial[1] + p.pads_begin[1] + p.pads_end[1] + s - 1) / s;
  g.plane_floats = (g.rows * g.cols + kBlock + 15) / 16 * 16;
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
  return (static_cast<size_t>(g.stride * g.stride * g.plane_floats) * sizeof(float) + 63) / 64 * 64;
}

// Output columns [lo, hi) whose tap at input column ow * stride + offset lies in [0, in_w).
void ValidColumns(int64_t offset, int64_t stride, int64_t in_w, int64_t out_w, int64_t* lo, int64_t* hi) {
  *lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  *hi = offset > in_w - 1 ? 0 : std::min(out_w, (in_w - 1 - offset) / stride + 1);
  if (*hi < *lo) *hi = *lo;
}

// Copies the channel to padded row h + pad, column w + pad (split by parity for stride 2). Only
// input elements are written: every channel lands on the same positions, so the zeros around
// them, written once per task, stay.
[[gnu::always_inline]] inline void FillPlanes(const reference::ConvParams& p, const Planes& g, const float* x,
                                              float* planes) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t top = p.pads_begin[0], left = p.pads_begin[1];
  if (g.stride == 1) {
    for (int64_t h = 0; h < in_h; ++h) CopyShortRun(x + h * in_w, in_w, planes + (h + top) * g.cols + left);
    return;
  }
  for (int64_t h = 0; h < in_h; ++h) {
    const float* src = x + h * in_w;
    const int64_t ph = h + top;
    float* even = planes + ((ph % 2) * 2) * g.plane_floats + (ph / 2) * g.cols;
    float* odd = even + g.plane_floats;
    // Input column w lands in column (w + left) / 2 of the plane of parity (w + left) % 2: the
    // input's even columns in one plane, its odd ones in the other, each a contiguous run.
    float* from_even = (left % 2 == 0 ? even : odd) + left / 2;
    float* from_odd = (left % 2 == 0 ? odd : even) + (left + 1) / 2;
    Deinterleave(src, in_w, from_even, from_odd);
  }
}

// The fused activation as a clamp to [lo, hi] in the same comparisons as ApplyActivationInline:
// ReLU is [0, inf], Clip [min, max], none [-inf, inf]. Other kinds clamp nothing here and run on
// the finished row.
struct Clamp {
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  bool row_pass = false;
};

Clamp ClampOf(const reference::FusedActivationParams& a) {
  Clamp c;
  if (a.kind == reference::FusedActivationKind::kRelu) {
    c.lo = 0.0f;
  } else if (a.kind == reference::FusedActivationKind::kClip) {
    c.lo = a.min;
    c.hi = a.max;
  } else {
    c.row_pass = a.kind != reference::FusedActivationKind::kNone;
  }
  return c;
}

// Output rows of one channel, written straight to y in 8-float blocks with bias and activation
// applied in registers: a row's last block spills into the next row, which is written after it,
// and only a block that would reach past y[limit] is stored lane by lane. The taps
// of a block's lanes past the row read the plane's next columns or its slack: harmless, the lanes
// are overwritten. Always inlined, so it is compiled for its caller's ISA (AVX2 on x86-64).
[[gnu::always_inline]] inline void Rows3x3(const reference::ConvParams& p, const Planes& g,
                                           const float* planes, const float* w, float bias,
                                           const Clamp& clamp,
                                           const reference::FusedActivationParams& activation, int64_t limit,
                                           float* y) {
  // Kernel row kh reads plane row (oh + kh / stride) of the planes of row parity kh % stride: columns j,
  // j + 1, j + 2 of one plane for stride 1; for stride 2 columns j and j + 1 of the even-column
  // plane and j of the odd one. Three (six) row pointers and constant offsets keep the loop's
  // addresses in registers.
  const int64_t stride = g.stride;
  const float* even[3];
  const float* odd[3];
  for (int kh = 0; kh < 3; ++kh) {
    even[kh] = planes + (kh % stride) * stride * g.plane_floats + (kh / stride) * g.cols;
    odd[kh] = even[kh] + (stride == 2 ? g.plane_floats : 1);
  }
  // Broadcast once per channel, not per row: GCC, short of registers, re-broadcast float weights
  // at every row (a third of a 7x7 plane's instructions); vectors it spills are reloaded as
  // memory operands instead.
  const Lanes8 zero = {};
  const Lanes8 w0 = zero + w[0], w1 = zero + w[1], w2 = zero + w[2], w3 = zero + w[3], w4 = zero + w[4],
               w5 = zero + w[5], w6 = zero + w[6], w7 = zero + w[7], w8 = zero + w[8];
  const Lanes8 lo = zero + clamp.lo, hi = zero + clamp.hi, bias_v = zero + bias;
  const int64_t third = stride == 2 ? 1 : 2;  // the kw = 2 tap's offset in the even plane
  auto block = [&](int64_t at, Lanes8* out) {
    // Named, not an array: a loop of loads into an array went through the stack.
    Lanes8 t0, t1, t2, t3, t4, t5, t6, t7, t8;
    LoadLanes(even[0] + at, &t0);
    LoadLanes(odd[0] + at, &t1);
    LoadLanes(even[0] + at + third, &t2);
    LoadLanes(even[1] + at, &t3);
    LoadLanes(odd[1] + at, &t4);
    LoadLanes(even[1] + at + third, &t5);
    LoadLanes(even[2] + at, &t6);
    LoadLanes(odd[2] + at, &t7);
    LoadLanes(even[2] + at + third, &t8);
    // Summed by kernel row: three short chains instead of one of nine dependent adds (a small
    // plane's row is one or two blocks, too few for out-of-order execution to hide it).
    Lanes8 v = bias_v + (w0 * t0 + w1 * t1 + w2 * t2) +
               ((w3 * t3 + w4 * t4 + w5 * t5) + (w6 * t6 + w7 * t7 + w8 * t8));
    v = v < lo ? lo : v;
    *out = hi < v ? hi : v;
  };
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  // Row oh's blocks, stored whole while they end within y[limit], then lane by lane. Two loops
  // rather than one test per block: with the test, GCC kept every block's result on the stack for
  // the lane-by-lane store (a third more instructions per block, 5-15% slower planes).
  auto row = [&](int64_t oh) {
    float* y_row = y + oh * out_w;
    const int64_t room = limit - oh * out_w;
    int64_t j = 0;
    for (; j < out_w && j + kBlock <= room; j += kBlock) {
      Lanes8 v;
      block(oh * g.cols + j, &v);
      StoreLanes(v, y_row + j);
    }
    for (; j < out_w; j += kBlock) {
      Lanes8 v;
      block(oh * g.cols + j, &v);
      StoreBlock(v, false, out_w - j, y_row + j);
    }
  };
  if (out_w <= 2 * kBlock && !clamp.row_pass) {
    // One or two blocks per row (7x7 and 14x14 planes): one loop, without the column loop's
    // per-row setup, which cost as much as a 7x7 row's block itself. The last rows go through
    // the column loop, which stores lane by lane what would reach past y[limit].
    const bool second = out_w > kBlock;
    const int64_t whole_rows = limit < 2 * kBlock ? 0 : std::min(out_h, (limit - 2 * kBlock) / out_w + 1);
    int64_t oh = 0;
    for (; oh < whole_rows; ++oh) {
      Lanes8 v;
      block(oh * g.cols, &v);
      StoreLanes(v, y + oh * out_w);
      if (second) {
        block(oh * g.cols + kBlock, &v);
        StoreLanes(v, y + oh * out_w + kBlock);
      }
    }
    for (; oh < out_h; ++oh) row(oh);
    return;
  }
  for (int64_t oh = 0; oh < out_h; ++oh) {
    row(oh);
    if (clamp.row_pass) reference::ApplyFusedActivation(activation, y + oh * out_w, out_w);
  }
}

// Channels [begin, end) of the batch's output (t = n * out_channels + m). An output channel's
// last blocks may spill into the next ones' planes — written after it by this same task — so only
// blocks that would reach past the task's last channel are stored lane by lane.
KINGLET_SIMD_AVX2_FMA_ONLY void ThreeByThreeChannels(const reference::ConvParams& p, int64_t begin,
                                                     int64_t end, const float* x, const float* w,
                                                     const float* bias,
                                                     const reference::FusedActivationParams& activation,
                                                     float* y, float* planes) {
  const Planes g = PlanesOf(p);
  const Clamp clamp = ClampOf(activation);
  const int64_t multiplier = p.out_channels / p.group;
  const int64_t in_plane = p.in_spatial[0] * p.in_spatial[1];
  const int64_t out_plane = p.out_spatial[0] * p.out_spatial[1];
  std::fill_n(planes, g.stride * g.stride * g.plane_floats, 0.0f);
  for (int64_t t = begin; t < end; ++t) {
    const int64_t n = t / p.out_channels, m = t % p.out_channels;
    // With a channel multiplier > 1 consecutive outputs read one input channel: copied once.
    if (t == begin || m % multiplier == 0) {
      FillPlanes(p, g, x + (n * p.in_channels + m / multiplier) * in_plane, planes);
    }
    const float b = bias != nullptr ? bias[m] : 0.0f;
    const int64_t limit = (end - t) * out_plane;  // the floats to the end of this task's channels
    Rows3x3(p, g, planes, w + m * 9, b, clamp, activation, limit, y + t * out_plane);
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
  const int64_t channels = p.batch * p.out_channels;
  // The scratch is sized for the 3x3 path either way; without SIMD kernels GeneralPlane runs.
  if (IsThreeByThree(p) && SimdKernelsAvailable()) {
    // A few runs of channels per thread: each zeroes its planes once, and a small plane's channel
    // (7x7: a few hundred cycles) is not a task of its own.
    const int64_t threads = pool != nullptr ? pool->size() : 1;
    const int64_t tasks = std::min(channels, threads * 4);
    const int64_t chunk = (channels + tasks - 1) / tasks;
    const size_t plane_bytes = PlaneBytes(p);
    runtime::ParallelFor(pool, tasks, [&](int64_t task, int slot) {
      const int64_t begin = task * chunk, end = std::min(channels, begin + chunk);
      float* planes = reinterpret_cast<float*>(static_cast<char*>(scratch) + plane_bytes * slot);
      if (begin < end) ThreeByThreeChannels(p, begin, end, x, w, bias, activation, y, planes);
    });
    return;
  }
  const int64_t multiplier = p.out_channels / p.group;
  const int64_t in_plane = p.in_spatial[0] * p.in_spatial[1];
  const int64_t out_plane = p.out_spatial[0] * p.out_spatial[1];
  const int64_t taps = p.kernel[0] * p.kernel[1];
  runtime::ParallelFor(pool, channels, [&](int64_t t, int) {
    const int64_t n = t / p.out_channels, m = t % p.out_channels;
    GeneralPlane(p, x + (n * p.in_channels + m / multiplier) * in_plane, w + m * taps,
                 bias != nullptr ? bias[m] : 0.0f, activation, y + t * out_plane);
  });
}

}  // namespace kinglet::kernels
