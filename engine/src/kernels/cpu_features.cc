#include "kernels/cpu_features.h"

#include <atomic>

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "kernels/simd_clones.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace kinglet::kernels {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// AMD cores before family 1Ah (Zen 5) that have AVX-512 (Zen 4, family 19h) execute it on 256-bit
// FMA pipes; Intel's have run 512-bit FMAs at full rate since Skylake-SP.
bool Avx512AtFullWidth() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) == 0) return false;
  const bool amd = ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163;  // "AuthenticAMD"
  if (!amd) return true;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  const unsigned base_family = (eax >> 8) & 0xf;
  const unsigned family = base_family == 0xf ? base_family + ((eax >> 20) & 0xff) : base_family;
  return family >= 0x1a;
}
#endif

CpuFeatures Detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_supports also checks that the OS enables the wider register state (XGETBV),
  // which a raw cpuid bit does not.
  __builtin_cpu_init();
  f.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512_full_width = f.avx512f && Avx512AtFullWidth();
  f.avx512_vnni = f.avx512f && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#elif defined(__aarch64__)
  f.neon = true;
#if defined(__linux__)
  f.dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
#endif
  return f;
}

std::atomic<bool> simd_kernels_enabled{true};

}  // namespace

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

bool SimdKernelsAvailable() {
  if (!simd_kernels_enabled.load(std::memory_order_relaxed)) return false;
  return KINGLET_SIMD_AVX2_ONLY_ENABLED == 0 || DetectCpuFeatures().avx2_fma;
}

void EnableSimdKernelsForTesting(bool enable) {
  simd_kernels_enabled.store(enable, std::memory_order_relaxed);
}

}  // namespace kinglet::kernels
