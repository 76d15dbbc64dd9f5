// Picks this device's class from the classes kingletd publishes (GET /v1/device-classes): a
// class matches when its ISA is this device's (or empty), every CPU feature it requires is
// present and the device has at least its RAM; among matches the most specific wins (ISA
// given, then more required features, then more RAM), ties by name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kinglet/sdk/device_info.h"
#include "kinglet/status.h"

namespace kinglet::sdk {

struct DeviceClassRule {
  std::string name;
  std::string isa;
  std::vector<std::string> cpu_features;
  uint64_t min_ram_mib = 0;
};

// Parses the /v1/device-classes document.
Result<std::vector<DeviceClassRule>> ParseDeviceClasses(const std::string& document);

// NotFound when no class matches (the operator has no class for this kind of device).
Result<std::string> MatchDeviceClass(const DeviceInfo& device, const std::vector<DeviceClassRule>& classes);

}  // namespace kinglet::sdk
