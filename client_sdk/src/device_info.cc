#include "kinglet/sdk/device_info.h"

#include <unistd.h>

#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__linux__) && (defined(__aarch64__) || defined(__arm__))
#include <sys/auxv.h>
#endif

namespace kinglet::sdk {
namespace {

void DetectCpuFeatures(DeviceInfo* info) {
#if defined(__x86_64__)
  info->isa = "x86_64";
  unsigned a, b, c, d;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    if (c & bit_SSE4_1) info->cpu_features.push_back("sse4.1");
    if (c & bit_FMA) info->cpu_features.push_back("fma");
    if (c & bit_F16C) info->cpu_features.push_back("f16c");
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    if (b & bit_AVX2) info->cpu_features.push_back("avx2");
    if (b & bit_AVX512F) info->cpu_features.push_back("avx512f");
    if (c & bit_AVX512VNNI) info->cpu_features.push_back("avx512vnni");
  }
#elif defined(__aarch64__)
  info->isa = "arm64";
  info->cpu_features.push_back("neon");  // mandatory on AArch64
#if defined(__linux__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  if (hwcap & (1UL << 20)) info->cpu_features.push_back("dotprod");  // HWCAP_ASIMDDP
  if (hwcap & (1UL << 10)) info->cpu_features.push_back("fp16");     // HWCAP_ASIMDHP
#endif
#elif defined(__arm__)
  info->isa = "armv7";
#else
  info->isa = "unknown";
#endif
}

}  // namespace

DeviceInfo DetectDevice() {
  DeviceInfo info;
  DetectCpuFeatures(&info);
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) {
    info.ram_mib = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) / (1024 * 1024);
  }
#if defined(__ANDROID__)
  info.os = "android";
#elif defined(__APPLE__)
  info.os = "darwin";
#elif defined(__linux__)
  info.os = "linux";
#else
  info.os = "unknown";
#endif
  info.cpu_count = static_cast<int>(std::thread::hardware_concurrency());
  return info;
}

}  // namespace kinglet::sdk
