// What the CPU we run on can execute, detected once (cpuid on x86; on aarch64 NEON is in the
// baseline and the extensions come from the kernel's hardware capabilities, on Linux and Android). Kernels
// are chosen from this at load time, never per call.
#pragma once

namespace kinglet::kernels {

struct CpuFeatures {
  bool avx2_fma = false;  // x86: AVX2 and FMA3, with the OS saving the YMM state
  bool avx512f = false;   // x86: AVX-512 Foundation, with the OS saving the ZMM state
  // x86: AVX-512F, and a 512-bit FMA runs at the rate of a 256-bit one, so it doubles the FLOPs per cycle.
  // False where the FMA pipes are 256 bits wide and split each 512-bit operation in two (AMD Zen 4):
  // there the 12x32 tile computes no faster than the 6x16 one and wastes more on ragged edges.
  bool avx512_full_width = false;
  bool avx512_vnni = false;  // x86: AVX-512 VNNI with AVX-512VL (vpdpbusd on 256-bit registers)
  bool neon = false;      // aarch64: Advanced SIMD (always present on ARMv8-A)
  bool dotprod = false;   // aarch64: the ARMv8.2 dot-product extension (sdot), as Linux reports it
};

// Detected on first call; thread-safe.
const CpuFeatures& DetectCpuFeatures();

}  // namespace kinglet::kernels
