#include "kernels/qgemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/cpu_features.h"
#include "kernels/fused_activation_inline.h"
#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"
#if defined(__x86_64__)
#include "kernels/x86/qgemm_avx2.h"
#include "kernels/x86/qgemm_vnni.h"
#endif
#if defined(__aarch64__)
#include "kernels/arm/qgemm_neon.h"
#endif

namespace kinglet::kernels {
namespace {

int64_t Quads(int64_t k) { return (k + kQGemmDepth - 1) / kQGemmDepth; }
size_t Aligned(size_t bytes) { return (bytes + 63) / 64 * 64; }

// v * inverse_scale rounded to the nearest integer, ties to even. Callers scale by 127 / max|v|,
// so the product lies within +-127 (a rounding error above 127 still rounds to 127). Adding
// 1.5 * 2^23 leaves a float no fraction bits, so the adder rounds, as nearbyint does, but inline
// and vectorisable: nearbyint is a libm call per element on the x86-64 baseline.
inline float RoundScaled(float v, float inverse_scale) {
  constexpr float kRounder = 12582912.0f;
  return (v * inverse_scale + kRounder) - kRounder;
}

int8_t Quantize(float v, float inverse_scale) { return static_cast<int8_t>(RoundScaled(v, inverse_scale)); }

void PortableTile(int64_t quads, const int8_t* qa, int64_t a_stride, int rows, const int8_t* block,
                  int32_t* acc) {
  for (int r = 0; r < rows; ++r) {
    const int8_t* a = qa + r * a_stride;
    int32_t sums[kQGemmCols] = {};
    for (int64_t q = 0; q < quads; ++q) {
      const int8_t* w = block + q * kQGemmCols * kQGemmDepth;
      for (int j = 0; j < kQGemmCols; ++j) {
        for (int d = 0; d < kQGemmDepth; ++d) {
          sums[j] += int32_t{a[q * kQGemmDepth + d]} * w[j * kQGemmDepth + d];
        }
      }
    }
    std::copy(sums, sums + kQGemmCols, acc + r * kQGemmCols);
  }
}

// The specification of the unsigned wide tile (QGemmWideTileFn): B's bytes read as unsigned.
void PortableUnsignedWideTile(int64_t quads, const int8_t* qa, int64_t a_stride, int rows,
                              const int8_t* block, int64_t block_stride, int32_t* acc) {
  for (int r = 0; r < rows; ++r) {
    const int8_t* a = qa + r * a_stride;
    for (int half = 0; half < 2; ++half) {
      const uint8_t* u = reinterpret_cast<const uint8_t*>(block + half * block_stride);
      // Unsigned arithmetic: the sums may wrap, as vpdpbusd's do.
      uint32_t sums[kQGemmCols] = {};
      for (int64_t q = 0; q < quads; ++q) {
        for (int j = 0; j < kQGemmCols; ++j) {
          for (int d = 0; d < kQGemmDepth; ++d) {
            sums[j] += static_cast<uint32_t>(int32_t{a[q * kQGemmDepth + d]} *
                                             u[(q * kQGemmCols + j) * kQGemmDepth + d]);
          }
        }
      }
      for (int j = 0; j < kQGemmCols; ++j)
        acc[(2 * r + half) * kQGemmCols + j] = static_cast<int32_t>(sums[j]);
    }
  }
}

// Where the quantized rows of A (values then magnitudes, see QGemmTileFn), their scales and
// NaN flags live in the scratch.
struct RowsLayout {
  int8_t* qa;
  int64_t stride;  // bytes from one row to the next
  float* scales;
  uint8_t* has_nan;
};

int64_t RowStride(int64_t k) { return 2 * kQGemmDepth * Quads(k); }

RowsLayout LayoutOf(void* scratch, int64_t m, int64_t k) {
  auto* base = static_cast<char*>(scratch);
  const size_t qa_bytes = Aligned(static_cast<size_t>(m * RowStride(k)));
  const size_t scale_bytes = Aligned(static_cast<size_t>(m) * sizeof(float));
  return {reinterpret_cast<int8_t*>(base), RowStride(k), reinterpret_cast<float*>(base + qa_bytes),
          reinterpret_cast<uint8_t*>(base + qa_bytes + scale_bytes)};
}

constexpr uint32_t kMagnitudeMask = 0x7fffffff;
constexpr uint32_t kInfinityBits = 0x7f800000;

// max |a[l]| as float bits; above kInfinityBits when the row holds a NaN. Non-negative floats
// order like their bit patterns, so this is an integer max, which vectorises (a float max with
// NaN semantics does not without -ffast-math).
KINGLET_SIMD_CLONES uint32_t MaxMagnitudeBits(const float* a, int64_t k) {
  uint32_t max_bits = 0;
  for (int64_t l = 0; l < k; ++l) {
    uint32_t bits;
    std::memcpy(&bits, a + l, sizeof(bits));
    max_bits = std::max(max_bits, bits & kMagnitudeMask);
  }
  return max_bits;
}

// q[l] = round(a[l] * inverse_scale).
KINGLET_SIMD_CLONES void QuantizeValues(const float* a, int64_t k, float inverse_scale, int8_t* q) {
  for (int64_t l = 0; l < k; ++l) q[l] = static_cast<int8_t>(RoundScaled(a[l], inverse_scale));
}

KINGLET_SIMD_CLONES void Magnitudes(const int8_t* q, int64_t k, int8_t* magnitudes) {
  for (int64_t l = 0; l < k; ++l) magnitudes[l] = static_cast<int8_t>(q[l] < 0 ? -q[l] : q[l]);
}

// Symmetric per-row quantization of A. A row holding a NaN or an infinity is flagged and gives
// NaN outputs (float semantics); its quantized values are zeros.
void QuantizeRows(const QGemmProblem& pr, const RowsLayout& rows) {
  for (int64_t i = 0; i < pr.m; ++i) {
    const float scale = QuantizeRowOfA(pr.a + i * pr.lda, pr.b->k, rows.qa + i * rows.stride);
    rows.has_nan[i] = std::isnan(scale);
    rows.scales[i] = rows.has_nan[i] ? 0.0f : scale;
  }
}

// out[j] = acc[j] * (scale_a * scale_b[j]) + bias[j] for one block's cols (<= kQGemmCols)
// columns, then the activation; NaNs for a row of A that held a NaN or an infinity. The scales
// and bias come in as pointers the stores cannot alias, so the loop vectorises.
void StoreRow(const int32_t* acc, int64_t cols, bool nan, float scale_a, const float* scale_b,
              const float* bias, const reference::FusedActivationParams& activation, float* out) {
  if (nan) {
    std::fill(out, out + cols, std::numeric_limits<float>::quiet_NaN());
  } else {
    for (int64_t j = 0; j < cols; ++j) out[j] = static_cast<float>(acc[j]) * (scale_a * scale_b[j]) + bias[j];
  }
  ApplyActivationInline(activation, out, cols);
}

}  // namespace

float QuantizeSymmetric(const float* v, int64_t count, int8_t* q) {
  const uint32_t max_bits = MaxMagnitudeBits(v, count);
  float max_abs;
  std::memcpy(&max_abs, &max_bits, sizeof(max_abs));
  // Values so small that 127 / max overflows quantize to zeros, as a row of zeros does.
  const float inverse = 127.0f / max_abs;
  if (max_bits >= kInfinityBits || !std::isfinite(inverse)) {
    std::fill(q, q + count, int8_t{0});
    return max_bits >= kInfinityBits ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
  }
  QuantizeValues(v, count, inverse, q);
  return max_abs / 127.0f;
}

int64_t QGemmRowBytes(int64_t k) { return RowStride(k); }

float QuantizeRowOfA(const float* a, int64_t k, int8_t* q) {
  const int64_t padded = kQGemmDepth * Quads(k);
  const float scale = QuantizeSymmetric(a, k, q);
  std::fill(q + k, q + padded, int8_t{0});
  Magnitudes(q, padded, q + padded);
  return scale;
}

QuantizedMatrix QuantizeSgemmB(int64_t k, int64_t n, MatrixView b) {
  QuantizedMatrix q;
  q.k = k;
  q.n = n;
  const int64_t block_bytes = Quads(k) * kQGemmCols * kQGemmDepth, blocks = (n + kQGemmCols - 1) / kQGemmCols;
  q.scales.assign(static_cast<size_t>(n), 0.0f);
  q.packed.assign(static_cast<size_t>(blocks * block_bytes), 0);
  for (int64_t j = 0; j < n; ++j) {
    float max_abs = 0.0f;
    bool finite = true;
    for (int64_t l = 0; l < k; ++l) {
      const float v = b.data[l * b.row_stride + j * b.col_stride];
      finite &= std::isfinite(v);
      max_abs = std::max(max_abs, std::fabs(v));
    }
    if (!finite) {
      // Float arithmetic would spread the NaN or infinity into every output of this column.
      q.scales[j] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    const float inverse = 127.0f / max_abs;
    if (!std::isfinite(inverse)) continue;  // an all-zero (or all-subnormal) column stays zero
    q.scales[j] = max_abs / 127.0f;
    int8_t* block = q.packed.data() + (j / kQGemmCols) * block_bytes;
    for (int64_t l = 0; l < k; ++l) {
      block[((l / kQGemmDepth) * kQGemmCols + j % kQGemmCols) * kQGemmDepth + l % kQGemmDepth] =
          Quantize(b.data[l * b.row_stride + j * b.col_stride], inverse);
    }
  }
  return q;
}

const QGemmKernel& PortableQGemmKernel() {
  static const QGemmKernel kernel{"portable int8", PortableTile, PortableUnsignedWideTile};
  return kernel;
}

const QGemmKernel& BestQGemmKernel() {
#if defined(__x86_64__)
  if (DetectCpuFeatures().avx512_vnni) return x86::VnniQGemmKernel();
  if (DetectCpuFeatures().avx2_fma) return x86::Avx2QGemmKernel();
#elif defined(__aarch64__)
  return DetectCpuFeatures().dotprod ? arm::NeonDotQGemmKernel() : arm::NeonQGemmKernel();
#endif
  return PortableQGemmKernel();
}

std::vector<const QGemmKernel*> AvailableQGemmKernels() {
  std::vector<const QGemmKernel*> kernels = {&PortableQGemmKernel()};
#if defined(__x86_64__)
  if (DetectCpuFeatures().avx2_fma) kernels.push_back(&x86::Avx2QGemmKernel());
  if (DetectCpuFeatures().avx512_vnni) kernels.push_back(&x86::VnniQGemmKernel());
#elif defined(__aarch64__)
  kernels.push_back(&arm::NeonQGemmKernel());
  if (DetectCpuFeatures().dotprod) kernels.push_back(&arm::NeonDotQGemmKernel());
#endif
  return kernels;
}

size_t QGemmScratchBytes(int64_t m, int64_t k) {
  return Aligned(static_cast<size_t>(m * RowStride(k))) + Aligned(static_cast<size_t>(m) * sizeof(float)) +
         Aligned(static_cast<size_t>(m));
}

void QGemmRun(const QGemmKernel& kernel, const QGemmProblem& pr, runtime::ThreadPool* pool, void* scratch) {
  if (pr.m <= 0 || pr.b->n <= 0) return;
  const RowsLayout rows = LayoutOf(scratch, pr.m, pr.b->k);
  QuantizeRows(pr, rows);
  const int64_t quads = Quads(pr.b->k), n = pr.b->n;
  const int64_t blocks = (n + kQGemmCols - 1) / kQGemmCols;
  static constexpr float kNoBias[kQGemmCols] = {};
  auto task = [&](int64_t block, int) {
    const int8_t* packed = pr.b->packed.data() + block * quads * kQGemmCols * kQGemmDepth;
    const int64_t j0 = block * kQGemmCols;
    const int64_t cols = std::min<int64_t>(kQGemmCols, n - j0);
    int32_t acc[kQGemmTileRows * kQGemmCols];
    for (int64_t i0 = 0; i0 < pr.m; i0 += kQGemmTileRows) {
      const int tile_rows = static_cast<int>(std::min<int64_t>(kQGemmTileRows, pr.m - i0));
      kernel.tile(quads, rows.qa + i0 * rows.stride, rows.stride, tile_rows, packed, acc);
      for (int r = 0; r < tile_rows; ++r) {
        const int64_t i = i0 + r;
        StoreRow(acc + r * kQGemmCols, cols, rows.has_nan[i] != 0, rows.scales[i], pr.b->scales.data() + j0,
                 pr.col_bias != nullptr ? pr.col_bias + j0 : kNoBias, pr.activation, pr.c + i * pr.ldc + j0);
      }
    }
  };
  runtime::ParallelFor(pool, blocks, task);
}

}  // namespace kinglet::kernels
