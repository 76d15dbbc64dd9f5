// Generic kernels whose loops vectorise well run at the width of the CPU they land on.
//
// KINGLET_SIMD_CLONES: on x86-64 the marked function is compiled twice, for the SSE2 baseline
// every x86-64 CPU has and for AVX2, and the dynamic loader picks one by cpuid when the engine
// loads (GCC's target_clones, an ifunc). For small kernels.
//
// KINGLET_SIMD_AVX2_ONLY: on x86-64 the marked function is compiled for AVX2 alone. For the large
// kernels (a few KB each: the Winograd transforms, the 3x3 depthwise plane, max pooling, the
// recurrent gate math), whose SSE2 copies cost an app ~26 KB: their callers test
// SimdKernelsAvailable() first and take the portable path on an x86-64 CPU without AVX2 (the
// reference kernel, or GEMM instead of Winograd). x86 apps run on laptops and desktops, where
// AVX2 has been standard since 2013; the phones are ARM.
//
// KINGLET_SIMD_AVX2_FMA_ONLY: the same, with FMA too (SimdKernelsAvailable() checks both), for a
// kernel whose tests allow rounding differences (the depthwise 3x3 rows: fused multiply-adds
// halve its arithmetic instructions, and aarch64 GCC fuses them anyway). The others stay unfused:
// contracting a * b + c would change their results against the reference.
//
// Elsewhere the markers are empty and SimdKernelsAvailable() is true. The C++ stays one portable
// source.
#pragma once

#include "kernels/cpu_features.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define KINGLET_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#define KINGLET_SIMD_AVX2_ONLY __attribute__((target("avx2")))
#define KINGLET_SIMD_AVX2_FMA_ONLY __attribute__((target("avx2,fma")))
#define KINGLET_SIMD_AVX2_ONLY_ENABLED 1
#else
#define KINGLET_SIMD_CLONES
#define KINGLET_SIMD_AVX2_ONLY
#define KINGLET_SIMD_AVX2_FMA_ONLY
#define KINGLET_SIMD_AVX2_ONLY_ENABLED 0
#endif

namespace kinglet::kernels {

// Whether KINGLET_SIMD_AVX2_ONLY functions may run here; tests can turn them off (below).
bool SimdKernelsAvailable();

// Test hook: false makes SimdKernelsAvailable() false from now on (to cover the portable paths on
// a CPU that has AVX2); true restores detection.
void EnableSimdKernelsForTesting(bool enable);

}  // namespace kinglet::kernels
