// Generic kernels whose loops vectorise well run at the width of the CPU they land on: on x86-64
// the marked function is compiled twice, for the SSE2 baseline every x86-64 CPU has and for
// AVX2, and the dynamic loader picks one by cpuid when the engine loads (GCC's target_clones,
// an ifunc). The C++ stays one portable source; elsewhere the marker is empty. No FMA variant:
// contracting a * b + c would change results against the reference kernels.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define KINGLET_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KINGLET_SIMD_CLONES
#endif
