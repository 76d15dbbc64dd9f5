// What the SDK tells kingletd about the phone it runs on, to pick the right artifact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kinglet::sdk {

struct DeviceInfo {
  std::string isa;                     // "x86_64", "arm64", "armv7", or "unknown"
  std::vector<std::string> cpu_features;  // e.g. "avx2", "fma", "avx512f", "neon", "dotprod"
  uint64_t ram_mib = 0;                // physical memory; 0 if unknown
  std::string os;                      // "linux", "android", "ios", "macos", ...
  int cpu_count = 0;
};

// Reads the CPU (cpuid on x86, hwcaps on ARM), RAM and OS of this process's machine.
DeviceInfo DetectDevice();

}  // namespace kinglet::sdk
