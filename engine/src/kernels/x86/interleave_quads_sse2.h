// kernels/interleave_quads.h on SSE2: bytes of rows 0/1 and 2/3 paired, then the pairs' 16-bit
// halves paired — four unpacks for 32 bytes.
#pragma once

#include <emmintrin.h>

#include <cstdint>

namespace kinglet::kernels::x86 {

inline void InterleaveQuadsSse2(const int8_t* const rows[4], int8_t* dst) {
  const __m128i r0 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[0]));
  const __m128i r1 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[1]));
  const __m128i r2 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[2]));
  const __m128i r3 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[3]));
  const __m128i r01 = _mm_unpacklo_epi8(r0, r1), r23 = _mm_unpacklo_epi8(r2, r3);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_unpacklo_epi16(r01, r23));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 16), _mm_unpackhi_epi16(r01, r23));
}

}  // namespace kinglet::kernels::x86
