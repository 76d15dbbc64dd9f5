// What the CPU we run on can execute, detected once (cpuid on x86; on aarch64 NEON is in the
// baseline and the extensions come from the kernel's hardware capabilities, on Linux and Android). Kernels
// are chosen from this at load time, never per call.
#pragma once

namespace kinglet::kernels {

struct CpuFeatures {
  bool avx2_fma = false;  // x86: AVX2 and FMA3, with the OS saving the YMM state
  bool avx512f = false;   // x86: AVX-512 Foundation, with the OS saving the ZMM state
  bool neon = false;      // aarch64: Advanced SIMD (always present on ARMv8-A)
  bool dotprod = false;   // aarch64: the ARMv8.2 dot-product extension (sdot), as Linux reports it
};

// Detected on first call; thread-safe.
const CpuFeatures& DetectCpuFeatures();

}  // namespace kinglet::kernels
