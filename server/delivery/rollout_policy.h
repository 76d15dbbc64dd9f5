// Which version a device gets. A partial rollout puts a device in the canary group when
// hash(model, device id) mod 100 < percent: sticky (the same device stays in its group as the
// percentage grows, so 10% -> 50% only adds devices) and independent across models.
#pragma once

#include <cstdint>
#include <string>

#include "catalog/catalog.h"

namespace kinglet::server {

// 0..99, uniform over device ids.
uint32_t RolloutBucket(const std::string& model, const std::string& device_id);

// The version `device_id` should run; 0 when nothing is rolled out.
uint32_t VersionFor(const RolloutRecord& rollout, const std::string& device_id);

}  // namespace kinglet::server
