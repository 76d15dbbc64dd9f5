#include "delivery/rollout_policy.h"

#include <openssl/sha.h>

namespace kinglet::server {

uint32_t RolloutBucket(const std::string& model, const std::string& device_id) {
  // The NUL separator keeps ("ab", "c") and ("a", "bc") apart.
  const std::string key = model + '\0' + device_id;
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(key.data()), key.size(), digest);
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i) x = (x << 8) | digest[i];
  return static_cast<uint32_t>(x % 100);  // 2^64 mod 100 bias is ~1e-18
}

uint32_t VersionFor(const RolloutRecord& rollout, const std::string& device_id) {
  if (rollout.canary_version != 0 && RolloutBucket(rollout.model, device_id) < rollout.percent) {
    return rollout.canary_version;
  }
  return rollout.stable_version;
}

}  // namespace kinglet::server
