// Float lanes as one value (GNU vector extension). Lanes4 is an SSE register on x86-64, a NEON
// one on aarch64: for kernels whose rows are too short for the compiler's own 8-wide loops (small
// planes' few tiles or outputs per row); with __builtin_shuffle, two pairs of loads give the taps
// of four stride-2 windows. Lanes8 is an AVX register in KINGLET_SIMD_AVX2_ONLY code and a pair of
// NEON ones on aarch64: for loops that compute whole 8-float blocks and store the block's tail
// themselves.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/copy_run.h"

namespace kinglet::kernels {

typedef float Lanes4 __attribute__((vector_size(16)));
typedef int32_t LaneIndices4 __attribute__((vector_size(16)));
typedef float Lanes8 __attribute__((vector_size(32)));
typedef int32_t LaneIndices8 __attribute__((vector_size(32)));

// Loads and stores through memcpy: no alignment assumed, no aliasing rule broken. Vectors pass
// by reference only: by value they would take a different ABI in AVX2 code than around it.
[[gnu::always_inline]] inline void LoadLanes(const float* p, Lanes4* v) { std::memcpy(v, p, sizeof(*v)); }
[[gnu::always_inline]] inline void StoreLanes(const Lanes4& v, float* p) { std::memcpy(p, &v, sizeof(v)); }
[[gnu::always_inline]] inline void LoadLanes(const float* p, Lanes8* v) { std::memcpy(v, p, sizeof(*v)); }
[[gnu::always_inline]] inline void StoreLanes(const Lanes8& v, float* p) { std::memcpy(p, &v, sizeof(v)); }

// Stores all of v at p when the 8 floats there are the caller's to write (a row's last block
// spilling into rows written after it), else only its first `live` lanes.
[[gnu::always_inline]] inline void StoreBlock(const Lanes8& v, bool whole, int64_t live, float* p) {
  if (whole) {
    StoreLanes(v, p);
  } else {
    float lanes[8];
    StoreLanes(v, lanes);
    CopyFewFloats(lanes, live, p);
  }
}

}  // namespace kinglet::kernels
