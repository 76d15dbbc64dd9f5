// What the CPU we run on can execute, detected once (cpuid on x86; the aarch64 baseline
// already includes NEON). Kernels are chosen from this at load time, never per call.
#pragma once

namespace kinglet::kernels {

struct CpuFeatures {
  bool avx2_fma = false;  // x86: AVX2 and FMA3, with the OS saving the YMM state
  bool avx512f = false;   // x86: AVX-512 Foundation, with the OS saving the ZMM state
  bool neon = false;      // aarch64: Advanced SIMD (always present on ARMv8-A)
};

// Detected on first call; thread-safe.
const CpuFeatures& DetectCpuFeatures();

}  // namespace kinglet::kernels
