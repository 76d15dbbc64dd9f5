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
#endif
#if defined(__aarch64__)
#include "kernels/arm/qgemm_neon.h"
#endif

namespace kinglet::kernels {
namespace {

constexpr int kRowsPerTile = 4;

int64_t Pairs(int64_t k) { return (k + 1) / 2; }
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

void PortableTile(int64_t pairs, const int16_t* qa, int64_t a_stride, int rows, const int8_t* block,
                  int32_t* acc) {
  for (int r = 0; r < rows; ++r) {
    const int16_t* a = qa + r * a_stride;
    int32_t sums[kQGemmCols] = {};
    for (int64_t p = 0; p < pairs; ++p) {
      const int8_t* w = block + p * kQGemmCols * 2;
      for (int j = 0; j < kQGemmCols; ++j) {
        sums[j] += int32_t{a[2 * p]} * w[2 * j] + int32_t{a[2 * p + 1]} * w[2 * j + 1];
      }
    }
    std::copy(sums, sums + kQGemmCols, acc + r * kQGemmCols);
  }
}

// Where the quantized rows of A, their scales and NaN flags live in the scratch.
struct RowsLayout {
  int16_t* qa;
  float* scales;
  uint8_t* has_nan;
};

RowsLayout LayoutOf(void* scratch, int64_t m, int64_t k) {
  auto* base = static_cast<char*>(scratch);
  const size_t qa_bytes = Aligned(static_cast<size_t>(m * 2 * Pairs(k)) * sizeof(int16_t));
  const size_t scale_bytes = Aligned(static_cast<size_t>(m) * sizeof(float));
  return {reinterpret_cast<int16_t*>(base), reinterpret_cast<float*>(base + qa_bytes),
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

KINGLET_SIMD_CLONES void QuantizeRow(const float* a, int64_t k, float inverse_scale, int16_t* q) {
  for (int64_t l = 0; l < k; ++l) q[l] = static_cast<int16_t>(RoundScaled(a[l], inverse_scale));
}

// Symmetric per-row quantization of A. A row holding a NaN or an infinity is flagged and gives
// NaN outputs (float semantics); its quantized values are zeros.
void QuantizeRows(const QGemmProblem& pr, const RowsLayout& rows) {
  const int64_t k = pr.b->k, stride = 2 * Pairs(k);
  for (int64_t i = 0; i < pr.m; ++i) {
    const float* a = pr.a + i * pr.lda;
    int16_t* q = rows.qa + i * stride;
    const uint32_t max_bits = MaxMagnitudeBits(a, k);
    float max_abs;
    std::memcpy(&max_abs, &max_bits, sizeof(max_abs));
    rows.has_nan[i] = max_bits >= kInfinityBits;
    // A row of zeros, or of values so small that 127 / max overflows, quantizes to zeros.
    const float inverse = 127.0f / max_abs;
    const bool usable = !rows.has_nan[i] && std::isfinite(inverse);
    rows.scales[i] = usable ? max_abs / 127.0f : 0.0f;
    if (usable) {
      QuantizeRow(a, k, inverse, q);
    } else {
      std::fill(q, q + k, int16_t{0});
    }
    std::fill(q + k, q + stride, int16_t{0});
  }
}

}  // namespace

QuantizedMatrix QuantizeSgemmB(int64_t k, int64_t n, MatrixView b) {
  QuantizedMatrix q;
  q.k = k;
  q.n = n;
  const int64_t pairs = Pairs(k), blocks = (n + kQGemmCols - 1) / kQGemmCols;
  q.scales.assign(static_cast<size_t>(n), 0.0f);
  q.packed.assign(static_cast<size_t>(blocks * pairs * kQGemmCols * 2), 0);
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
    int8_t* block = q.packed.data() + (j / kQGemmCols) * pairs * kQGemmCols * 2;
    for (int64_t l = 0; l < k; ++l) {
      block[((l / 2) * kQGemmCols + j % kQGemmCols) * 2 + l % 2] =
          Quantize(b.data[l * b.row_stride + j * b.col_stride], inverse);
    }
  }
  return q;
}

const QGemmKernel& PortableQGemmKernel() {
  static const QGemmKernel kernel{"portable int8", PortableTile};
  return kernel;
}

const QGemmKernel& BestQGemmKernel() {
#if defined(__x86_64__)
  if (DetectCpuFeatures().avx2_fma) return x86::Avx2QGemmKernel();
#elif defined(__aarch64__)
  return arm::NeonQGemmKernel();
#endif
  return PortableQGemmKernel();
}

std::vector<const QGemmKernel*> AvailableQGemmKernels() {
  std::vector<const QGemmKernel*> kernels = {&PortableQGemmKernel()};
#if defined(__x86_64__)
  if (DetectCpuFeatures().avx2_fma) kernels.push_back(&x86::Avx2QGemmKernel());
#elif defined(__aarch64__)
  kernels.push_back(&arm::NeonQGemmKernel());
#endif
  return kernels;
}

size_t QGemmScratchBytes(int64_t m, int64_t k) {
  return Aligned(static_cast<size_t>(m * 2 * Pairs(k)) * sizeof(int16_t)) +
         Aligned(static_cast<size_t>(m) * sizeof(float)) + Aligned(static_cast<size_t>(m));
}

void QGemmRun(const QGemmKernel& kernel, const QGemmProblem& pr, runtime::ThreadPool* pool, void* scratch) {
  if (pr.m <= 0 || pr.b->n <= 0) return;
  const RowsLayout rows = LayoutOf(scratch, pr.m, pr.b->k);
  QuantizeRows(pr, rows);
  const int64_t pairs = Pairs(pr.b->k), stride = 2 * pairs, n = pr.b->n;
  const int64_t blocks = (n + kQGemmCols - 1) / kQGemmCols;
  auto task = [&](int64_t block, int) {
    const int8_t* packed = pr.b->packed.data() + block * pairs * kQGemmCols * 2;
    const int64_t j0 = block * kQGemmCols;
    const int64_t cols = std::min<int64_t>(kQGemmCols, n - j0);
    int32_t acc[kRowsPerTile * kQGemmCols];
    for (int64_t i0 = 0; i0 < pr.m; i0 += kRowsPerTile) {
      const int tile_rows = static_cast<int>(std::min<int64_t>(kRowsPerTile, pr.m - i0));
      kernel.tile(pairs, rows.qa + i0 * stride, stride, tile_rows, packed, acc);
      for (int r = 0; r < tile_rows; ++r) {
        const int64_t i = i0 + r;
        float* out = pr.c + i * pr.ldc + j0;
        const float scale_a = rows.scales[i];
        for (int64_t j = 0; j < cols; ++j) {
          const float bias = pr.col_bias != nullptr ? pr.col_bias[j0 + j] : 0.0f;
          out[j] = rows.has_nan[i] ? std::numeric_limits<float>::quiet_NaN()
                                   : static_cast<float>(acc[r * kQGemmCols + j]) * (scale_a * pr.b->scales[j0 + j]) + bias;
        }
        ApplyActivationInline(pr.activation, out, cols);
      }
    }
  };
  runtime::ParallelFor(pool, blocks, task);
}

}  // namespace kinglet::kernels
