#include "kernels/max_pool_2d.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/deinterleave.h"
#include "kernels/lanes.h"
#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"

#if defined(__SSE__)
#include <immintrin.h>
#endif

namespace kinglet::kernels {
namespace {

// t > m ? t : m (the reference's rule: a NaN tap never wins, a NaN m stays) without a branch.
// GCC vectorises the select as maxps but compiles a scalar one to a compare and a jump, which
// mispredicts on real data; x86's maxss is exactly this select, and aarch64 compiles it to fcsel.
[[gnu::always_inline]] inline float SelectMax(float t, float m) {
#if defined(__SSE__)
  return _mm_cvtss_f32(_mm_max_ss(_mm_set_ss(t), _mm_set_ss(m)));
#else
  return t > m ? t : m;
#endif
}

// Taps [lo, hi) of a window starting at `start` (with `dilation` between taps) that land
// inside [0, size).
struct TapRange {
  int64_t lo;
  int64_t hi;
};

TapRange TapsInside(int64_t start, int64_t kernel, int64_t dilation, int64_t size) {
  // Undilated windows (nearly all) need no division: one costs more than a small window's maxima,
  // and this runs once per output row and per edge column.
  if (dilation == 1) {
    const int64_t lo = start < 0 ? std::min(-start, kernel) : 0;
    return {lo, std::max(lo, std::min(kernel, size - start))};
  }
  const int64_t lo = start < 0 ? (-start + dilation - 1) / dilation : 0;
  const int64_t hi = start > size - 1 ? 0 : std::min(kernel, (size - 1 - start) / dilation + 1);
  return {lo, std::max(lo, hi)};
}

size_t RowBytes(const reference::PoolParams& p) {
  return (static_cast<size_t>(p.in_spatial[1]) * sizeof(float) + 63) / 64 * 64;
}

// The output columns whose whole window lies inside the row: [begin, end). They need no tap
// range, which costs two divisions per output.
struct ColumnSpan {
  int64_t begin;
  int64_t end;
};

ColumnSpan InteriorColumns(const reference::PoolParams& p) {
  const int64_t stride = p.strides[1], pad = p.pads_begin[1];
  const int64_t reach = (p.kernel[1] - 1) * p.dilations[1];  // last tap's offset from the first
  const int64_t out_w = p.out_spatial[1];
  const int64_t begin = std::min(out_w, (pad + stride - 1) / stride);
  const int64_t last_start = p.in_spatial[1] - 1 - reach;  // the largest in-row window start
  const int64_t end = last_start + pad < 0 ? 0 : std::min(out_w, (last_start + pad) / stride + 1);
  return {begin, std::max(begin, end)};
}

// Outputs of the interior columns from the row maxima. The first-tap NaN rule is checked only
// when `first_row` holds a NaN at all, so the usual loop has no per-output test. (The common
// 2- and 3-wide stride-2 windows take PoolInteriorDirect instead, except on rows the padding
// cuts.)
[[gnu::always_inline]] inline void PoolInterior(const reference::PoolParams& p, ColumnSpan span,
                                                const float* row_max, const float* first_row,
                                                bool first_row_has_nan, float* y_row) {
  const int64_t kernel = p.kernel[1], stride = p.strides[1], dw = p.dilations[1];
  for (int64_t ow = span.begin; ow < span.end; ++ow) {
    const float* taps = row_max + ow * stride - p.pads_begin[1];
    float best = taps[0];
    for (int64_t kw = 1; kw < kernel; ++kw) best = SelectMax(taps[kw * dw], best);
    y_row[ow] = best;
  }
  if (!first_row_has_nan) return;
  for (int64_t ow = span.begin; ow < span.end; ++ow) {
    const float first_tap = first_row[ow * stride - p.pads_begin[1]];
    if (std::isnan(first_tap)) y_row[ow] = first_tap;
  }
}

// The interior outputs of a row whose window rows all lie inside the input, straight from the
// input: taps in row-major order, the first tap the starting value and a later one winning only
// when strictly greater — the reference's rule, NaNs included, with no separate NaN pass. For
// the small stride-2 windows (LeNet's 2x2, SqueezeNet's and ResNet's 3x3) this reads each input
// row once per output row, where the row-max pass below writes and rereads a scratch row.
template <int kKernel>
[[gnu::always_inline]] inline void PoolInteriorDirect(const reference::PoolParams& p, ColumnSpan span,
                                                      const float* top, int64_t row_step, float* y_row) {
  constexpr int64_t kStride = 2;
  const float* t0 = top - p.pads_begin[1];
  for (int64_t ow = span.begin; ow < span.end; ++ow) {
    const float* taps = t0 + ow * kStride;
    float best = taps[0];
    // GCC does not vectorise the 2-wide first row and compiles its select to a jump per output,
    // which mispredicts on real data; SelectMax keeps it branch-free.
    for (int kw = 1; kw < kKernel; ++kw) {
      best = kKernel == 2 ? SelectMax(taps[kw], best) : (taps[kw] > best ? taps[kw] : best);
    }
    y_row[ow] = best;
  }
  for (int64_t kh = 1; kh < p.kernel[0]; ++kh) {
    const float* t = t0 + kh * row_step;
    for (int64_t ow = span.begin; ow < span.end; ++ow) {
      float best = y_row[ow];
      for (int kw = 0; kw < kKernel; ++kw) best = t[ow * kStride + kw] > best ? t[ow * kStride + kw] : best;
      y_row[ow] = best;
    }
  }
}

// One output by the reference's rule: taps rows x cols (both non-empty) in row-major order.
float WindowMax(const float* x, int64_t in_w, int64_t h0, int64_t dh, TapRange rows, int64_t w0, int64_t dw,
                TapRange cols) {
  float best = x[(h0 + rows.lo * dh) * in_w + w0 + cols.lo * dw];
  for (int64_t kh = rows.lo; kh < rows.hi; ++kh) {
    const float* row = x + (h0 + kh * dh) * in_w + w0;
    for (int64_t kw = cols.lo; kw < cols.hi; ++kw) best = SelectMax(row[kw * dw], best);
  }
  return best;
}

// The outputs of row oh outside the interior columns (windows the padding cuts), one by one
// by the reference's rule. `rows` is not empty.
void EdgeColumns(const reference::PoolParams& p, const float* x, int64_t h0, TapRange rows,
                 ColumnSpan interior, float* y_row) {
  const int64_t in_w = p.in_spatial[1], out_w = p.out_spatial[1], dw = p.dilations[1];
  for (int64_t ow = 0; ow < out_w; ++ow) {
    if (ow == interior.begin) ow = interior.end;
    if (ow >= out_w) break;
    const int64_t w0 = ow * p.strides[1] - p.pads_begin[1];
    const TapRange cols = TapsInside(w0, p.kernel[1], dw, in_w);
    y_row[ow] = cols.lo == cols.hi ? std::numeric_limits<float>::lowest()
                                   : WindowMax(x, in_w, h0, p.dilations[0], rows, w0, dw, cols);
  }
}

// Whether any of the n values is a NaN (a reduction the compiler vectorises).
[[gnu::always_inline]] inline bool AnyNaN(const float* v, int64_t n) {
  int any = 0;
  for (int64_t i = 0; i < n; ++i) any |= v[i] != v[i] ? 1 : 0;
  return any != 0;
}

// As the reference: a NaN in the window's first in-input tap (row-major) is the result; any
// other NaN never wins, because taps win only when strictly greater (`v > m ? v : m`, exactly
// x86 maxps, so it vectorises). Edge columns go window by window; interior columns of small
// stride-2 windows whose rows all lie inside the input are taken directly; other interior
// columns come from the window's rows combined into a row of maxima, and since that reorders
// the taps both of its passes start from -inf and ignore NaNs, and the first tap is checked at
// the end. (Between +0 and -0, which compare equal, the pick may differ.)
KINGLET_SIMD_AVX2_ONLY void PoolPlane(const reference::PoolParams& p, const float* x, float* y,
                                      float* row_max) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  const int64_t dh = p.dilations[0], dw = p.dilations[1];
  const ColumnSpan interior = InteriorColumns(p);
  for (int64_t oh = 0; oh < out_h; ++oh) {
    const int64_t h0 = oh * p.strides[0] - p.pads_begin[0];
    const TapRange rows = TapsInside(h0, p.kernel[0], dh, in_h);
    float* y_row = y + oh * out_w;
    if (rows.lo == rows.hi) {
      std::fill_n(y_row, out_w, std::numeric_limits<float>::lowest());
      continue;
    }
    EdgeColumns(p, x, h0, rows, interior, y_row);
    const bool direct = p.strides[1] == 2 && dw == 1 && (p.kernel[1] == 2 || p.kernel[1] == 3);
    if (direct && rows.lo == 0 && rows.hi == p.kernel[0]) {
      if (p.kernel[1] == 2) {
        PoolInteriorDirect<2>(p, interior, x + h0 * in_w, dh * in_w, y_row);
      } else {
        PoolInteriorDirect<3>(p, interior, x + h0 * in_w, dh * in_w, y_row);
      }
      continue;
    }
    const float* first_row = x + (h0 + rows.lo * dh) * in_w;
    std::fill_n(row_max, in_w, -std::numeric_limits<float>::infinity());
    for (int64_t kh = rows.lo; kh < rows.hi; ++kh) {
      const float* row = x + (h0 + kh * dh) * in_w;
      for (int64_t w = 0; w < in_w; ++w) row_max[w] = row[w] > row_max[w] ? row[w] : row_max[w];
    }
    PoolInterior(p, interior, row_max, first_row, AnyNaN(first_row, in_w), y_row);
  }
}

// LeNet's and VGG's pool: 2x2 windows at stride 2, no padding or dilation, every window inside
// the input. Each output row is then one pair of input rows, and a plane's per-row setup (tap
// ranges, edge columns) would cost more than its few outputs: LeNet-5's second pool has 4 per row.
bool IsTiling2x2(const reference::PoolParams& p) {
  for (int d = 0; d < 2; ++d) {
    if (p.kernel[d] != 2 || p.strides[d] != 2 || p.dilations[d] != 1 || p.pads_begin[d] != 0 ||
        p.pads_end[d] != 0 || p.in_spatial[d] < 2 * p.out_spatial[d]) {
      return false;
    }
  }
  return true;
}

// Output rows [begin, end) of all planes counted as one sequence (out_h rows per plane), taps in
// the reference's row-major order with the strictly-greater rule, which vectorises as maxps.
KINGLET_SIMD_AVX2_ONLY void Pool2x2Rows(const reference::PoolParams& p, const float* x, float* y,
                                        int64_t begin, int64_t end) {
  const int64_t in_w = p.in_spatial[1], out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  const int64_t in_plane = p.in_spatial[0] * in_w;
  int64_t plane = begin / out_h, oh = begin - plane * out_h;  // then stepped, not divided per row
  for (int64_t r = begin; r < end; ++r) {
    const float* top = x + plane * in_plane + 2 * oh * in_w;
    const float* bottom = top + in_w;
    float* y_row = y + r * out_w;
    for (int64_t ow = 0; ow < out_w; ++ow) {
      float best = top[2 * ow];
      best = top[2 * ow + 1] > best ? top[2 * ow + 1] : best;
      best = bottom[2 * ow] > best ? bottom[2 * ow] : best;
      best = bottom[2 * ow + 1] > best ? bottom[2 * ow + 1] : best;
      y_row[ow] = best;
    }
    if (++oh == out_h) {
      oh = 0;
      ++plane;
    }
  }
}

// SqueezeNet's and firenet's pools: 2x2 or 3x3 windows at stride 2, undilated, no padding before
// (ceil mode may add some after), every window starting inside the input. A window's first tap is
// then an input element, and taps past the input's end can read -inf, which under the reference's
// rule (a later tap wins only when strictly greater) never wins: every output is the same window,
// with no edge columns or clipped last row (two thirds of a 14x14 plane's time by the row path).
bool IsUnpaddedStride2(const reference::PoolParams& p) {
  for (int d = 0; d < 2; ++d) {
    if (p.kernel[d] != p.kernel[0] || (p.kernel[d] != 2 && p.kernel[d] != 3) || p.strides[d] != 2 ||
        p.dilations[d] != 1 || p.pads_begin[d] != 0 || 2 * (p.out_spatial[d] - 1) >= p.in_spatial[d]) {
      return false;
    }
  }
  return true;
}

constexpr int64_t kBlock = 8;  // floats per Lanes8

int64_t RoundUpToBlock(int64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// A plane split by column parity, as the depthwise 3x3 path does: the even columns (room for the
// third tap's shift and a block's lanes past the row) then the odd ones, rows as far as the last
// window reaches; what the input does not cover is -inf.
struct ParityPlanes {
  int64_t rows, even_cols, odd_cols;
  int64_t floats() const { return rows * (even_cols + odd_cols); }
};

ParityPlanes ParityOf(const reference::PoolParams& p) {
  ParityPlanes g;
  g.rows = std::max(p.in_spatial[0], 2 * (p.out_spatial[0] - 1) + p.kernel[0]);
  g.even_cols = RoundUpToBlock(std::max(p.out_spatial[1] + 1, (p.in_spatial[1] + 1) / 2)) + kBlock;
  g.odd_cols = RoundUpToBlock(std::max(p.out_spatial[1], p.in_spatial[1] / 2)) + kBlock;
  return g;
}

// Output rows of one plane in 8-float blocks, taps in the reference's row-major order with the
// strictly-greater rule (maxps). A row's last block spills into the next rows, written after it;
// only a block that would reach past y[limit] is stored lane by lane.
[[gnu::always_inline]] inline void ParityRows(const reference::PoolParams& p, const ParityPlanes& g,
                                              const float* planes, int64_t limit, float* y) {
  const float* even = planes;
  const float* odd = planes + g.rows * g.even_cols;
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1], k = p.kernel[0];
  for (int64_t oh = 0; oh < out_h; ++oh) {
    float* y_row = y + oh * out_w;
    for (int64_t j = 0; j < out_w; j += kBlock) {
      Lanes8 best, t;
      LoadLanes(even + 2 * oh * g.even_cols + j, &best);  // the first tap: an input element
      for (int64_t kh = 0; kh < k; ++kh) {
        const float* e = even + (2 * oh + kh) * g.even_cols + j;
        const float* o = odd + (2 * oh + kh) * g.odd_cols + j;
        if (kh > 0) {
          LoadLanes(e, &t);
          best = t > best ? t : best;
        }
        LoadLanes(o, &t);
        best = t > best ? t : best;
        if (k == 3) {
          LoadLanes(e + 1, &t);
          best = t > best ? t : best;
        }
      }
      StoreBlock(best, oh * out_w + j + kBlock <= limit, out_w - j, y_row + j);
    }
  }
}

// Planes [begin, end): each split into `planes` (its -inf written once here; the input's
// positions are the same for every plane) and pooled.
KINGLET_SIMD_AVX2_ONLY void ParityPlanesRange(const reference::PoolParams& p, const float* x, float* y,
                                              int64_t begin, int64_t end, float* planes) {
  const ParityPlanes g = ParityOf(p);
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t out_plane = p.out_spatial[0] * p.out_spatial[1];
  std::fill_n(planes, g.floats(), -std::numeric_limits<float>::infinity());
  float* odd = planes + g.rows * g.even_cols;
  for (int64_t plane = begin; plane < end; ++plane) {
    const float* src = x + plane * in_h * in_w;
    for (int64_t h = 0; h < in_h; ++h, src += in_w)
      Deinterleave(src, in_w, planes + h * g.even_cols, odd + h * g.odd_cols);
    const int64_t limit = (end - plane) * out_plane;  // the floats to the end of this range's planes
    ParityRows(p, g, planes, limit, y + plane * out_plane);
  }
}

}  // namespace

bool MaxPool2dApplies(const reference::PoolParams& p) {
  return p.kernel.size() == 2 && SimdKernelsAvailable();
}

size_t MaxPool2dScratchBytes(const reference::PoolParams& p, int threads) {
  const size_t per_thread =
      IsUnpaddedStride2(p) ? static_cast<size_t>(ParityOf(p).floats()) * sizeof(float) : RowBytes(p);
  return (per_thread + 63) / 64 * 64 * static_cast<size_t>(threads);
}

void MaxPool2d(const reference::PoolParams& p, const float* x, float* y, runtime::ThreadPool* pool, void* scratch) {
  if (IsTiling2x2(p)) {
    const int threads = pool != nullptr ? pool->size() : 1;
    runtime::ParallelForRanges(pool, p.planes * p.out_spatial[0], threads, 1,
                               [&](int64_t begin, int64_t end) { Pool2x2Rows(p, x, y, begin, end); });
    return;
  }
  if (IsUnpaddedStride2(p)) {
    // A few runs of planes per thread (one on a single thread), each writing its -inf once.
    const int64_t threads = pool != nullptr ? pool->size() : 1;
    const int64_t tasks = threads == 1 ? 1 : std::min(p.planes, threads * 4);
    const int64_t chunk = (p.planes + tasks - 1) / tasks;
    const size_t bytes = MaxPool2dScratchBytes(p, 1);
    runtime::ParallelFor(pool, tasks, [&](int64_t task, int slot) {
      const int64_t begin = task * chunk, end = std::min(p.planes, begin + chunk);
      float* planes = reinterpret_cast<float*>(static_cast<char*>(scratch) + bytes * slot);
      if (begin < end) ParityPlanesRange(p, x, y, begin, end, planes);
    });
    return;
  }
  const int64_t in_plane = p.in_spatial[0] * p.in_spatial[1];
  const int64_t out_plane = p.out_spatial[0] * p.out_spatial[1];
  auto task = [&](int64_t plane, int slot) {
    float* row_max = reinterpret_cast<float*>(static_cast<char*>(scratch) + RowBytes(p) * slot);
    PoolPlane(p, x + plane * in_plane, y + plane * out_plane, row_max);
  };
  runtime::ParallelFor(pool, p.planes, task);
}

}  // namespace kinglet::kernels
