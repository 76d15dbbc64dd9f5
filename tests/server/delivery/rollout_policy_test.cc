#include "delivery/rollout_policy.h"

#include <gtest/gtest.h>

#include <string>

namespace kinglet::server {
namespace {

std::string DeviceId(int i) { return "device-" + std::to_string(i * 7919); }

TEST(RolloutPolicyTest, PercentagesSplitAPopulationWithinThreePoints) {
  for (uint32_t percent : {1u, 10u, 25u, 50u, 90u}) {
    RolloutRecord r{"scan", 1, 2, percent, 5, 0};
    int canary = 0;
    constexpr int kDevices = 10000;
    for (int i = 0; i < kDevices; ++i) canary += VersionFor(r, DeviceId(i)) == 2;
    EXPECT_NEAR(100.0 * canary / kDevices, percent, 3.0) << percent << "%";
  }
}

TEST(RolloutPolicyTest, DevicesStayInTheCanaryAsItGrowsAndModelsAreIndependent) {
  RolloutRecord small{"scan", 1, 2, 10, 1, 0};
  RolloutRecord large{"scan", 1, 2, 60, 2, 0};
  RolloutRecord other{"faces", 1, 2, 10, 1, 0};
  int both = 0, in_small = 0;
  for (int i = 0; i < 5000; ++i) {
    if (VersionFor(small, DeviceId(i)) == 2) {
      ++in_small;
      EXPECT_EQ(VersionFor(large, DeviceId(i)), 2u) << DeviceId(i);
      both += VersionFor(other, DeviceId(i)) == 2;
    }
  }
  // Independent models: about 10% of scan's canary is also in faces' canary, not all of it.
  EXPECT_LT(both, in_small / 4);
}

TEST(RolloutPolicyTest, NoRolloutAndFullRollout) {
  EXPECT_EQ(VersionFor(RolloutRecord{"scan", 0, 0, 0, 0, 0}, "d1"), 0u);
  EXPECT_EQ(VersionFor(RolloutRecord{"scan", 3, 0, 0, 1, 0}, "d1"), 3u);
  EXPECT_EQ(RolloutBucket("ab", "c") == RolloutBucket("a", "bc") && RolloutBucket("ab", "d") == RolloutBucket("a", "bd"),
            false);
}

}  // namespace
}  // namespace kinglet::server
