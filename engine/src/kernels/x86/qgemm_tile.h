// The loops of the x86 int8 GEMM tiles (kernels/qgemm.h), shared by the AVX2 and the AVX-512 VNNI
// tile; `Dot::Step(sum, w, a, magnitude)` adds one step's 32 products (8 columns x 4 K values of
// one row) into the row's int32 sums. Each tile's file includes this and compiles it for its own
// ISA. The definitions are in an unnamed namespace on purpose: as ordinary inline templates the
// linker would keep one file's copy for both, and the AVX2 tile could run VNNI instructions.
#pragma once

#include <immintrin.h>

#include "kernels/qgemm.h"

namespace kinglet::kernels::x86 {
namespace {

// The quad of row `a` at step q, in every 32-bit lane: the step's 32 weights are 8 columns x the
// same 4 K values.
inline __m256i BroadcastQuad(const int8_t* a, int64_t q) { return _mm256_set1_epi32(QuadAt(a, q)); }

// Up to four rows of A against one 8-column block, the weights loaded once per step. Rows past
// `rows` reread row 0 (their sums are never stored), so the loop has no branches.
template <typename Dot>
void FourRowTile(int64_t quads, const int8_t* qa, int64_t a_stride, int rows, const int8_t* block,
                 int32_t* acc) {
  __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  const int64_t mag = quads * 4;  // the magnitudes follow each row's values
  const int8_t* a0 = qa;
  const int8_t* a1 = qa + (rows > 1 ? a_stride : 0);
  const int8_t* a2 = qa + (rows > 2 ? 2 * a_stride : 0);
  const int8_t* a3 = qa + (rows > 3 ? 3 * a_stride : 0);
  for (int64_t q = 0; q < quads; ++q) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + q * 32));
    acc0 = Dot::Step(acc0, w, BroadcastQuad(a0, q), BroadcastQuad(a0 + mag, q));
    acc1 = Dot::Step(acc1, w, BroadcastQuad(a1, q), BroadcastQuad(a1 + mag, q));
    acc2 = Dot::Step(acc2, w, BroadcastQuad(a2, q), BroadcastQuad(a2 + mag, q));
    acc3 = Dot::Step(acc3, w, BroadcastQuad(a3, q), BroadcastQuad(a3 + mag, q));
  }
  __m256i* out = reinterpret_cast<__m256i*>(acc);
  _mm256_storeu_si256(out, acc0);
  if (rows > 1) _mm256_storeu_si256(out + 1, acc1);
  if (rows > 2) _mm256_storeu_si256(out + 2, acc2);
  if (rows > 3) _mm256_storeu_si256(out + 3, acc3);
}

// One row (a batch-1 layer): one row's work per step instead of four with three thrown away, and
// four sums, so that consecutive steps do not wait on each other (vpdpbusd's sum is its input: one
// chain would take its five-cycle latency per step).
template <typename Dot>
void OneRowTile(int64_t quads, const int8_t* a, const int8_t* block, int32_t* acc) {
  const int8_t* magnitudes = a + quads * 4;
  __m256i sums[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                     _mm256_setzero_si256()};
  int64_t q = 0;
  for (; q + 4 <= quads; q += 4) {
    for (int u = 0; u < 4; ++u) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + (q + u) * 32));
      sums[u] = Dot::Step(sums[u], w, BroadcastQuad(a, q + u), BroadcastQuad(magnitudes, q + u));
    }
  }
  for (; q < quads; ++q) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + q * 32));
    sums[0] = Dot::Step(sums[0], w, BroadcastQuad(a, q), BroadcastQuad(magnitudes, q));
  }
  const __m256i total =
      _mm256_add_epi32(_mm256_add_epi32(sums[0], sums[1]), _mm256_add_epi32(sums[2], sums[3]));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc), total);
}

template <typename Dot>
void Tile(int64_t quads, const int8_t* qa, int64_t a_stride, int rows, const int8_t* block, int32_t* acc) {
  if (rows == 1) return OneRowTile<Dot>(quads, qa, block, acc);
  FourRowTile<Dot>(quads, qa, a_stride, rows, block, acc);
}

}  // namespace
}  // namespace kinglet::kernels::x86
