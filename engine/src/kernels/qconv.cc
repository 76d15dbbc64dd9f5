#include "kernels/qconv.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/fused_activation_inline.h"
#include "kernels/interleave_quads.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

constexpr int kPixels = kQGemmCols;                        // output pixels per block: the tile's columns
constexpr int kRowsPerTile = 4;                            // output channels per tile call
constexpr int64_t kBlockBytes = kQGemmCols * kQGemmDepth;  // one quad of a block

size_t Aligned(size_t bytes) { return (bytes + 63) / 64 * 64; }

int64_t Patch(const reference::ConvParams& p) { return p.in_channels * p.kernel[0] * p.kernel[1]; }
int64_t Quads(const reference::ConvParams& p) { return (Patch(p) + kQGemmDepth - 1) / kQGemmDepth; }
int64_t ImageBytes(const reference::ConvParams& p) {
  return p.in_channels * p.in_spatial[0] * p.in_spatial[1];
}
int64_t BlocksPerRow(const reference::ConvParams& p) { return (p.out_spatial[1] + kPixels - 1) / kPixels; }
size_t RowPanelBytes(const reference::ConvParams& p) {
  return Aligned(static_cast<size_t>(BlocksPerRow(p) * Quads(p) * kBlockBytes));
}

// out[j] = row[iw0 + j * stride], 0 where that falls outside the row or past the block's `valid`
// pixels, or everywhere for a null row (padding, or past the last channel). Out of line: only
// padded borders, strides and tails come here.
[[gnu::cold, gnu::noinline]] void GatherEightSlow(const int8_t* row, int64_t in_w, int64_t iw0,
                                                  int64_t stride, int64_t valid, int8_t* out) {
  for (int64_t j = 0; j < kPixels; ++j) {
    const int64_t iw = iw0 + j * stride;
    out[j] = row != nullptr && j < valid && iw >= 0 && iw < in_w ? row[iw] : int8_t{0};
  }
}

// The same for the common case, eight pixels inside the row (a plain copy at stride 1); pixels
// past `valid` are never stored, so it reads them too.
inline void GatherEight(const int8_t* row, int64_t in_w, int64_t iw0, int64_t stride, int64_t valid,
                        int8_t* out) {
  const bool inside = row != nullptr && iw0 >= 0 && iw0 + (kPixels - 1) * stride < in_w;
  if (inside && stride == 1) {
    std::memcpy(out, row + iw0, kPixels);
  } else if (inside) {
    for (int64_t j = 0; j < kPixels; ++j) out[j] = row[iw0 + j * stride];
  } else {
    GatherEightSlow(row, in_w, iw0, stride, valid, out);
  }
}

// The blocks of output row oh of one quantized image: block b holds pixels [8b, 8b + 8) as the
// quads of their receptive fields in (channel, kernel row, kernel column) order, zero-padded to
// whole quads — the same K order as W's rows.
void PackOutputRow(const reference::ConvParams& p, const int8_t* xq, int64_t oh, int8_t* packed) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1], out_w = p.out_spatial[1];
  const int64_t k_h = p.kernel[0], k_w = p.kernel[1], stride_w = p.strides[1];
  const int64_t dilation_h = p.dilations[0], dilation_w = p.dilations[1], channels = p.in_channels;
  const int64_t ih0 = oh * p.strides[0] - p.pads_begin[0], plane = in_h * in_w;
  const int64_t padded_k = Quads(p) * kQGemmDepth;
  // Input row (c, kh) of the receptive fields, null where it is padding or c is past the last
  // channel (K's padding to whole quads).
  auto row_of = [&](int64_t c, int64_t kh) -> const int8_t* {
    const int64_t ih = ih0 + kh * dilation_h;
    return c < channels && ih >= 0 && ih < in_h ? xq + c * plane + ih * in_w : nullptr;
  };
  int8_t rows[kQGemmDepth][kPixels];
  int8_t* dst = packed;
  for (int64_t ow0 = 0; ow0 < out_w; ow0 += kPixels) {
    const int64_t valid = std::min<int64_t>(kPixels, out_w - ow0);
    const int64_t iw_base = ow0 * stride_w - p.pads_begin[1];
    int64_t c = 0, kh = 0, kw = 0;
    const int8_t* row = row_of(0, 0);
    for (int64_t k = 0; k < padded_k; ++k) {
      GatherEight(row, in_w, iw_base + kw * dilation_w, stride_w, valid, rows[k % kQGemmDepth]);
      if (++kw == k_w) {
        kw = 0;
        if (++kh == k_h) {
          kh = 0;
          ++c;
        }
        row = row_of(c, kh);
      }
      if (k % kQGemmDepth == kQGemmDepth - 1) {
        InterleaveQuads(rows, dst);
        dst += kBlockBytes;
      }
    }
  }
}

// out[j] = acc[j] * scale + bias for `cols` pixels, then the activation. Computed for a whole
// block: loops of a constant eight compile to a few vector instructions each.
void StoreRow(const int32_t* acc, int64_t cols, float scale, float bias,
              const reference::FusedActivationParams& activation, float* out) {
  float row[kPixels];
  for (int j = 0; j < kPixels; ++j) row[j] = static_cast<float>(acc[j]) * scale + bias;
  ApplyActivationInline(activation, row, kPixels);
  if (cols == kPixels) {
    std::memcpy(out, row, sizeof(row));
  } else {
    for (int64_t j = 0; j < cols; ++j) out[j] = row[j];
  }
}

// What every output row's task reads: the arguments, every image quantized (with its scale),
// and one panel of packed blocks per thread.
struct RowJob {
  const QGemmKernel& kernel;
  const reference::ConvParams& p;
  const QConvWeights& w;
  const float* bias;
  const reference::FusedActivationParams& activation;
  float* y;
  int8_t* images;
  int64_t image_stride = 0;
  float* x_scales = nullptr;
  int8_t* panels = nullptr;
};

// Output row `task` (image task / out_h, row task % out_h): its blocks are packed once, and each
// tile of W then runs over all of them while it is in L1.
void ConvOutputRow(const RowJob& job, int64_t task, int slot) {
  const reference::ConvParams& p = job.p;
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1], pixels = out_h * out_w,
                m = p.out_channels;
  const int64_t n = task / out_h, oh = task % out_h, quads = Quads(p), row_bytes = QGemmRowBytes(Patch(p));
  int8_t* panel = job.panels + static_cast<size_t>(slot) * RowPanelBytes(p);
  PackOutputRow(p, job.images + n * job.image_stride, oh, panel);
  float* y_row = job.y + n * m * pixels + oh * out_w;
  int32_t acc[kRowsPerTile * kQGemmCols];
  for (int64_t m0 = 0; m0 < m; m0 += kRowsPerTile) {
    const int rows = static_cast<int>(std::min<int64_t>(kRowsPerTile, m - m0));
    for (int64_t ow0 = 0, b = 0; ow0 < out_w; ow0 += kPixels, ++b) {
      job.kernel.tile(quads, job.w.rows.data() + m0 * row_bytes, row_bytes, rows,
                      panel + b * quads * kBlockBytes, acc);
      const int64_t cols = std::min<int64_t>(kPixels, out_w - ow0);
      for (int r = 0; r < rows; ++r) {
        const int64_t channel = m0 + r;
        StoreRow(acc + r * kQGemmCols, cols, job.x_scales[n] * job.w.scales[channel],
                 job.bias != nullptr ? job.bias[channel] : 0.0f, job.activation,
                 y_row + channel * pixels + ow0);
      }
    }
  }
}

}  // namespace

bool QConvApplies(const reference::ConvParams& p) {
  return p.group == 1 && p.rank() == 2 && Patch(p) <= kQGemmMaxK;
}

QConvWeights QuantizeConvWeights(const reference::ConvParams& p, const float* w) {
  const int64_t k = Patch(p), row_bytes = QGemmRowBytes(k);
  QConvWeights q;
  // assign rather than resize: the int8 GEMM's weights instantiate the same functions.
  q.rows.assign(static_cast<size_t>(p.out_channels * row_bytes), 0);
  q.scales.assign(static_cast<size_t>(p.out_channels), 0.0f);
  for (int64_t m = 0; m < p.out_channels; ++m) {
    q.scales[m] = QuantizeRowOfA(w + m * k, k, q.rows.data() + m * row_bytes);
  }
  return q;
}

// Scratch: every image quantized, their scales, then one row panel per thread.
size_t QConvScratchBytes(const reference::ConvParams& p, int threads) {
  return static_cast<size_t>(p.batch) * Aligned(static_cast<size_t>(ImageBytes(p))) +
         Aligned(static_cast<size_t>(p.batch) * sizeof(float)) +
         static_cast<size_t>(std::max(threads, 1)) * RowPanelBytes(p);
}

bool QConv(const QGemmKernel& kernel, const reference::ConvParams& p, const QConvWeights& w, const float* x,
           const float* bias, const reference::FusedActivationParams& activation, float* y,
           runtime::ThreadPool* pool, void* scratch) {
  const int64_t image = ImageBytes(p);
  RowJob job{kernel, p, w, bias, activation, y, static_cast<int8_t*>(scratch)};
  job.image_stride = static_cast<int64_t>(Aligned(static_cast<size_t>(image)));
  job.x_scales = reinterpret_cast<float*>(job.images + p.batch * job.image_stride);
  job.panels =
      job.images + p.batch * job.image_stride + Aligned(static_cast<size_t>(p.batch) * sizeof(float));
  for (int64_t n = 0; n < p.batch; ++n) {
    job.x_scales[n] = QuantizeSymmetric(x + n * image, image, job.images + n * job.image_stride);
    if (std::isnan(job.x_scales[n])) return false;
  }
  runtime::ParallelFor(pool, p.batch * p.out_spatial[0],
                       [&job](int64_t task, int slot) { ConvOutputRow(job, task, slot); });
  return true;
}

}  // namespace kinglet::kernels
