// Four float lanes as one value (GNU vector extension): an SSE register on x86-64, a NEON one on
// aarch64. For kernels whose rows are too short for the compiler's own 8-wide loops (small
// planes' few tiles or outputs per row): with __builtin_shuffle, two pairs of loads give the
// taps of four stride-2 windows.
#pragma once

#include <cstdint>
#include <cstring>

namespace kinglet::kernels {

typedef float Lanes4 __attribute__((vector_size(16)));
typedef int32_t LaneIndices4 __attribute__((vector_size(16)));

// Loads and stores through memcpy: no alignment assumed, no aliasing rule broken. Vectors pass
// by reference only: by value they would take a different ABI in AVX2 code than around it.
[[gnu::always_inline]] inline void LoadLanes(const float* p, Lanes4* v) { std::memcpy(v, p, sizeof(*v)); }
[[gnu::always_inline]] inline void StoreLanes(const Lanes4& v, float* p) { std::memcpy(p, &v, sizeof(v)); }

}  // namespace kinglet::kernels
