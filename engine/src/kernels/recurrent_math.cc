#include "kernels/recurrent_math.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/reference/activation.h"
#include "kernels/simd_clones.h"

namespace kinglet::kernels {
namespace {

// e^x for x clamped to [-87, 88] (so 2^n stays a normal float): x = n ln2 + r with a two-part
// ln2 (Cody-Waite), e^r by Cephes' degree-5 polynomial, 2^n put straight into the exponent bits.
inline float ExpPoly(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);  // a NaN passes both
  // n = round(x / ln2) by the 1.5 * 2^23 trick (no branch, no libm), from a NaN-free copy since
  // converting a NaN to int is undefined; the NaN itself still flows through r.
  const float finite = x == x ? x : 0.0f;
  const float n = (finite * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e_r = p * z + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return e_r * scale;
}

inline float SigmoidOne(float x) { return 1.0f / (1.0f + ExpPoly(-x)); }

// Cephes tanhf: an odd polynomial below |x| = 0.625 (where 1 - 2/(e^2x + 1) would cancel), the
// exponential form above; both computed, one selected, so the loop has no branch.
inline float TanhOne(float x) {
  const float a = std::fabs(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float big_abs = 1.0f - 2.0f / (ExpPoly(2.0f * a) + 1.0f);
  const float big = x < 0.0f ? -big_abs : big_abs;
  return a < 0.625f ? small : big;
}

// Eight lanes as one value (GNU vector extension): one AVX2 register on x86-64 (these kernels are
// AVX2-only there), two NEON registers on aarch64. Plain arrays of lanes, four at a time, were spilled to the
// stack.
typedef float Lanes8 __attribute__((vector_size(32)));

// Vectors pass by reference only: by value they would take a different ABI in AVX2 code than in
// the baseline code around it.
[[gnu::always_inline]] inline void Load8(const float* p, Lanes8* v) { std::memcpy(v, p, sizeof(*v)); }

// The lanes summed pairwise, in the same order for every row.
[[gnu::always_inline]] inline float Sum8(const Lanes8& v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

// c[m, n] = a[m, k] * b[n, k]^T (+ c): each dot product in eight independent lanes, four rows of
// b per pass so each load of a feeds four of them. The recurrent step is m = 1 (one sequence),
// n = 4 * hidden, k = hidden: a matrix-vector product of short rows, where the vector width of
// the ISA and the loads per multiply decide the speed.
KINGLET_SIMD_AVX2_ONLY void MatMulTransposedBFast(int64_t m, int64_t n, int64_t k, const float* a,
                                                  int64_t lda, const float* b, int64_t ldb, float* c,
                                                  int64_t ldc, bool accumulate) {
  const int64_t k_body = k / 8 * 8;
  for (int64_t i = 0; i < m; ++i) {
    const float* a_row = a + i * lda;
    float* c_row = c + i * ldc;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
      const float* b0 = b + j * ldb;
      const float* b1 = b0 + ldb;
      const float* b2 = b1 + ldb;
      const float* b3 = b2 + ldb;
      Lanes8 acc0 = {}, acc1 = {}, acc2 = {}, acc3 = {};
      for (int64_t p = 0; p < k_body; p += 8) {
        Lanes8 a_p, b_p;
        Load8(a_row + p, &a_p);
        Load8(b0 + p, &b_p);
        acc0 += a_p * b_p;
        Load8(b1 + p, &b_p);
        acc1 += a_p * b_p;
        Load8(b2 + p, &b_p);
        acc2 += a_p * b_p;
        Load8(b3 + p, &b_p);
        acc3 += a_p * b_p;
      }
      float sums[4] = {Sum8(acc0), Sum8(acc1), Sum8(acc2), Sum8(acc3)};
      for (int64_t p = k_body; p < k; ++p) {
        sums[0] += a_row[p] * b0[p];
        sums[1] += a_row[p] * b1[p];
        sums[2] += a_row[p] * b2[p];
        sums[3] += a_row[p] * b3[p];
      }
      for (int r = 0; r < 4; ++r) c_row[j + r] = accumulate ? c_row[j + r] + sums[r] : sums[r];
    }
    for (; j < n; ++j) {
      const float* b_row = b + j * ldb;
      Lanes8 acc = {};
      for (int64_t p = 0; p < k_body; p += 8) {
        Lanes8 a_p, b_p;
        Load8(a_row + p, &a_p);
        Load8(b_row + p, &b_p);
        acc += a_p * b_p;
      }
      float sum = Sum8(acc);
      for (int64_t p = k_body; p < k; ++p) sum += a_row[p] * b_row[p];
      c_row[j] = accumulate ? c_row[j] + sum : sum;
    }
  }
}

KINGLET_SIMD_AVX2_ONLY void SigmoidRun(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = SigmoidOne(x[i]);
}

KINGLET_SIMD_AVX2_ONLY void TanhRun(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = TanhOne(x[i]);
}

void ClipAndActivateFast(const reference::RecurrentActivation& act, float clip, float* v, int64_t n) {
  using Kind = reference::RecurrentActivationKind;
  if (act.kind != Kind::kSigmoid && act.kind != Kind::kTanh) {
    reference::ClipAndActivate(act, clip, v, n);
    return;
  }
  // Same clamp as the reference (std::min/max keep a NaN).
  for (int64_t i = 0; i < n; ++i) v[i] = std::min(std::max(v[i], -clip), clip);
  if (act.kind == Kind::kSigmoid) {
    SigmoidRun(v, v, n);
  } else {
    TanhRun(v, v, n);
  }
}

}  // namespace

void SigmoidFast(const float* x, float* y, int64_t n) {
  if (SimdKernelsAvailable()) {
    SigmoidRun(x, y, n);
  } else {
    reference::Sigmoid(x, y, n);
  }
}

void TanhFast(const float* x, float* y, int64_t n) {
  if (SimdKernelsAvailable()) {
    TanhRun(x, y, n);
  } else {
    reference::Tanh(x, y, n);
  }
}

const reference::RecurrentMath& FastRecurrentMath() {
  static const reference::RecurrentMath math{MatMulTransposedBFast, ClipAndActivateFast};
  return SimdKernelsAvailable() ? math : reference::ReferenceRecurrentMath();
}

}  // namespace kinglet::kernels
