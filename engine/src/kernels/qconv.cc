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

// out[j] = row[iw0 + j * stride], `zero` (the image's zero byte) where that falls outside the row
// or past the block's `valid` pixels, or everywhere for a null row (padding, or past the last
// channel). Out of line: the edges of padded convs and K's last partial quad, not the interior.
[[gnu::noinline]] void GatherEightSlow(const int8_t* row, int64_t in_w, int64_t iw0, int64_t stride,
                                       int64_t valid, int8_t zero, int8_t* out) {
  for (int64_t j = 0; j < kPixels; ++j) {
    const int64_t iw = iw0 + j * stride;
    out[j] = row != nullptr && j < valid && iw >= 0 && iw < in_w ? row[iw] : zero;
  }
}

// The same for the common case, eight pixels inside the row (a plain copy at stride 1); pixels
// past `valid` are never stored, so it reads them too.
inline void GatherEight(const int8_t* row, int64_t in_w, int64_t iw0, int64_t stride, int64_t valid,
                        int8_t zero, int8_t* out) {
  const bool inside = row != nullptr && iw0 >= 0 && iw0 + (kPixels - 1) * stride < in_w;
  if (inside && stride == 1) {
    std::memcpy(out, row + iw0, kPixels);
  } else if (inside) {
    for (int64_t j = 0; j < kPixels; ++j) out[j] = row[iw0 + j * stride];
  } else {
    GatherEightSlow(row, in_w, iw0, stride, valid, zero, out);
  }
}

// The blocks of output row oh of one quantized image: block b holds pixels [8b, 8b + 8) as the
// quads of their receptive fields in (channel, kernel row, kernel column) order, zero-padded to
// whole quads — the same K order as W's rows. A block whose receptive fields lie inside the image
// at stride 1 (all but the borders) reads each quad's four runs of eight at `taps` (tap k's offset
// from the fields' origin) and interleaves them; the rest goes tap by tap.
void PackOutputRow(const reference::ConvParams& p, const int64_t* taps, const int8_t* xq, int8_t zero,
                   int64_t oh, int8_t* packed) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1], out_w = p.out_spatial[1];
  const int64_t k_h = p.kernel[0], k_w = p.kernel[1], stride_w = p.strides[1];
  const int64_t dilation_h = p.dilations[0], dilation_w = p.dilations[1], channels = p.in_channels;
  const int64_t ih0 = oh * p.strides[0] - p.pads_begin[0], plane = in_h * in_w;
  const int64_t whole_k = Patch(p) / kQGemmDepth * kQGemmDepth, padded_k = Quads(p) * kQGemmDepth;
  const bool rows_inside = ih0 >= 0 && ih0 + (k_h - 1) * dilation_h < in_h;
  // Input row (c, kh) of the receptive fields, null where it is padding or c is past the last
  // channel (K's padding to whole quads).
  auto row_of = [&](int64_t c, int64_t kh) -> const int8_t* {
    const int64_t ih = ih0 + kh * dilation_h;
    return c < channels && ih >= 0 && ih < in_h ? xq + c * plane + ih * in_w : nullptr;
  };
  int8_t gathered[kQGemmDepth][kPixels];
  const int8_t* const gathered_rows[kQGemmDepth] = {gathered[0], gathered[1], gathered[2], gathered[3]};
  int8_t* dst = packed;
  for (int64_t ow0 = 0; ow0 < out_w; ow0 += kPixels) {
    const int64_t valid = std::min<int64_t>(kPixels, out_w - ow0);
    const int64_t iw0 = ow0 * stride_w - p.pads_begin[1];
    int64_t k = 0;
    if (rows_inside && stride_w == 1 && iw0 >= 0 && iw0 + (k_w - 1) * dilation_w + kPixels <= in_w) {
      const int8_t* origin = xq + ih0 * in_w + iw0;
      for (; k < whole_k; k += kQGemmDepth, dst += kBlockBytes) {
        const int8_t* const runs[kQGemmDepth] = {origin + taps[k], origin + taps[k + 1], origin + taps[k + 2],
                                                 origin + taps[k + 3]};
        InterleaveQuads(runs, dst);
      }
    }
    int64_t c = k / (k_h * k_w), kh = k / k_w % k_h, kw = k % k_w;
    const int8_t* row = row_of(c, kh);
    for (; k < padded_k; ++k) {
      GatherEight(row, in_w, iw0 + kw * dilation_w, stride_w, valid, zero, gathered[k % kQGemmDepth]);
      if (++kw == k_w) {
        kw = 0;
        if (++kh == k_h) {
          kh = 0;
          ++c;
        }
        row = row_of(c, kh);
      }
      if (k % kQGemmDepth == kQGemmDepth - 1) {
        InterleaveQuads(gathered_rows, dst);
        dst += kBlockBytes;
      }
    }
  }
}

// out[j] = (acc[j] - offset) * scale + bias for `cols` pixels, then the activation. Computed for a
// whole block: loops of a constant eight compile to a few vector instructions each. The sums may
// have wrapped (unsigned B) where the difference fits, so it is taken modulo 2^32.
void StoreRow(const int32_t* acc, int64_t cols, uint32_t offset, float scale, float bias,
              const reference::FusedActivationParams& activation, float* out) {
  float row[kPixels];
  for (int j = 0; j < kPixels; ++j) {
    row[j] = static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(acc[j]) - offset)) * scale + bias;
  }
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
  int64_t* taps = nullptr;
  int8_t* panels = nullptr;
  bool unsigned_b = false;  // the image stored with a zero point of 128 for wide_tile_unsigned_b
};

// Output row `task` (image task / out_h, row task % out_h): its blocks are packed once, and each
// tile of W then runs over all of them while it is in L1.
void ConvOutputRow(const RowJob& job, int64_t task, int slot) {
  const reference::ConvParams& p = job.p;
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1], pixels = out_h * out_w,
                m = p.out_channels;
  const int64_t n = task / out_h, oh = task % out_h, quads = Quads(p), row_bytes = QGemmRowBytes(Patch(p));
  int8_t* panel = job.panels + static_cast<size_t>(slot) * RowPanelBytes(p);
  const int8_t zero = job.unsigned_b ? int8_t{-128} : int8_t{0};  // 0x80 is 0 with the zero point
  PackOutputRow(p, job.taps, job.images + n * job.image_stride, zero, oh, panel);
  float* y_row = job.y + n * m * pixels + oh * out_w;
  const int64_t block_bytes = quads * kBlockBytes, blocks = BlocksPerRow(p);
  int32_t acc[kQGemmTileRows * 2 * kQGemmCols];
  for (int64_t m0 = 0; m0 < m; m0 += kQGemmTileRows) {
    const int rows = static_cast<int>(std::min<int64_t>(kQGemmTileRows, m - m0));
    const int8_t* w_rows = job.w.rows.data() + m0 * row_bytes;
    // Blocks two at a time (an odd last one: the unsigned wide tile reads it twice).
    for (int64_t b = 0; b < blocks;) {
      const int span = b + 1 < blocks ? 2 : 1;
      const int8_t* block = panel + b * block_bytes;
      // Where block `half`'s sums of row r are: the wide tile's rows are both blocks wide; the
      // narrow tile, run per block, leaves one block's rows after the other's.
      int64_t row_step = 2 * kQGemmCols, half_step = kQGemmCols;
      if (job.unsigned_b) {
        job.kernel.wide_tile_unsigned_b(quads, w_rows, row_bytes, rows, block, span == 2 ? block_bytes : 0,
                                        acc);
      } else {
        row_step = kQGemmCols;
        half_step = rows * kQGemmCols;
        job.kernel.tile(quads, w_rows, row_bytes, rows, block, acc);
        if (span == 2) job.kernel.tile(quads, w_rows, row_bytes, rows, block + block_bytes, acc + half_step);
      }
      for (int r = 0; r < rows; ++r) {
        const int64_t channel = m0 + r;
        const uint32_t offset = job.unsigned_b ? 128u * static_cast<uint32_t>(job.w.sums[channel]) : 0u;
        const float scale = job.x_scales[n] * job.w.scales[channel];
        const float bias = job.bias != nullptr ? job.bias[channel] : 0.0f;
        for (int half = 0; half < span; ++half) {
          const int64_t ow0 = (b + half) * kPixels;
          StoreRow(acc + r * row_step + half * half_step, std::min<int64_t>(kPixels, out_w - ow0), offset,
                   scale, bias, job.activation, y_row + channel * pixels + ow0);
        }
      }
      b += span;
    }
  }
}

}  // namespace

bool QConvApplies(const reference::ConvParams& p) {
  return p.group == 1 && p.rank() == 2 && Patch(p) <= kQGemmMaxK;
}

bool QConvPays(const QGemmKernel& kernel, const reference::ConvParams& p) {
  constexpr int64_t kMinChannels = 32, kMinTaps = 32;
  return kernel.conv_beats_float && p.out_channels >= kMinChannels && Patch(p) >= kMinTaps;
}

QConvWeights QuantizeConvWeights(const reference::ConvParams& p, const float* w) {
  const int64_t k = Patch(p), row_bytes = QGemmRowBytes(k);
  QConvWeights q;
  // assign rather than resize: the int8 GEMM's weights instantiate the same functions.
  q.rows.assign(static_cast<size_t>(p.out_channels * row_bytes), 0);
  q.scales.assign(static_cast<size_t>(p.out_channels), 0.0f);
  q.sums.assign(static_cast<size_t>(p.out_channels), 0);
  for (int64_t m = 0; m < p.out_channels; ++m) {
    int8_t* row = q.rows.data() + m * row_bytes;
    q.scales[m] = QuantizeRowOfA(w + m * k, k, row);
    for (int64_t l = 0; l < k; ++l) q.sums[m] += row[l];
  }
  return q;
}

// Scratch: every image quantized, their scales, the taps' offsets, then one row panel per thread.
size_t QConvScratchBytes(const reference::ConvParams& p, int threads) {
  return static_cast<size_t>(p.batch) * Aligned(static_cast<size_t>(ImageBytes(p))) +
         Aligned(static_cast<size_t>(p.batch) * sizeof(float)) +
         Aligned(static_cast<size_t>(Patch(p)) * sizeof(int64_t)) +
         static_cast<size_t>(std::max(threads, 1)) * RowPanelBytes(p);
}

bool QConv(const QGemmKernel& kernel, const reference::ConvParams& p, const QConvWeights& w, const float* x,
           const float* bias, const reference::FusedActivationParams& activation, float* y,
           runtime::ThreadPool* pool, void* scratch) {
  const int64_t image = ImageBytes(p);
  RowJob job{kernel, p, w, bias, activation, y, static_cast<int8_t*>(scratch)};
  job.image_stride = static_cast<int64_t>(Aligned(static_cast<size_t>(image)));
  job.x_scales = reinterpret_cast<float*>(job.images + p.batch * job.image_stride);
  job.taps = reinterpret_cast<int64_t*>(job.images + p.batch * job.image_stride +
                                        Aligned(static_cast<size_t>(p.batch) * sizeof(float)));
  job.panels = reinterpret_cast<int8_t*>(job.taps) + Aligned(static_cast<size_t>(Patch(p)) * sizeof(int64_t));
  const int64_t in_w = p.in_spatial[1];
  int64_t* tap = job.taps;
  for (int64_t c = 0; c < p.in_channels; ++c) {
    for (int64_t kh = 0; kh < p.kernel[0]; ++kh) {
      for (int64_t kw = 0; kw < p.kernel[1]; ++kw) {
        *tap++ = (c * p.in_spatial[0] + kh * p.dilations[0]) * in_w + kw * p.dilations[1];
      }
    }
  }
  job.unsigned_b = kernel.wide_tile_unsigned_b != nullptr;
  for (int64_t n = 0; n < p.batch; ++n) {
    int8_t* xq = job.images + n * job.image_stride;
    job.x_scales[n] = QuantizeSymmetric(x + n * image, image, xq);
    if (std::isnan(job.x_scales[n])) return false;
    if (job.unsigned_b) {
      for (int64_t i = 0; i < image; ++i) xq[i] = static_cast<int8_t>(static_cast<uint8_t>(xq[i]) ^ 0x80u);
    }
  }
  runtime::ParallelFor(pool, p.batch * p.out_spatial[0],
                       [&job](int64_t task, int slot) { ConvOutputRow(job, task, slot); });
  return true;
}

}  // namespace kinglet::kernels
