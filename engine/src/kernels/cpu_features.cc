#include "kernels/cpu_features.h"

#include <atomic>

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "kernels/simd_clones.h"

namespace kinglet::kernels {
namespace {

CpuFeatures Detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_supports also checks that the OS enables the wider register state (XGETBV),
  // which a raw cpuid bit does not.
  __builtin_cpu_init();
  f.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
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
