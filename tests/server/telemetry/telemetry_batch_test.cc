// Telemetry batches from outside: everything malformed or implausible is refused with a
// message, and the percentile math matches Prometheus's histogram_quantile.
#include "telemetry/telemetry_batch.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kinglet::server {
namespace {

using nlohmann::json;

json Histogram(uint64_t in_bucket_3) {
  json counts = json::array();
  for (size_t b = 0; b < kLatencyBuckets; ++b) counts.push_back(b == 3 ? in_bucket_3 : 0);
  return {{"counts", counts}, {"sum_us", 800 * in_bucket_3}};
}

json Batch() {
  json entry = {{"model", "scan"},     {"version", 2},      {"runs", 5},        {"run_errors", 0},
                {"loads", 1},          {"load_errors", 0},  {"fetches", 1},     {"fetch_errors", 0},
                {"fetch_bytes", 1000}, {"cache_fallbacks", 0}, {"latency", Histogram(5)},
                {"fetch_latency", Histogram(1)}};
  return {{"schema", 1},          {"device_id", "abc123"},     {"device_class", "arm64-low"},
          {"device_model", "Pixel 4a"}, {"os", "android"}, {"sdk_version", "kinglet-sdk/1"},
          {"sent", 1764000000},   {"entries", json::array({entry})}};
}

TEST(TelemetryBatchTest, AcceptsAWellFormedBatch) {
  auto batch = ParseTelemetryBatch(Batch().dump());
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->entries.size(), 1u);
  EXPECT_EQ(batch->entries[0].counts.runs, 5u);
  EXPECT_EQ(batch->entries[0].counts.latency[3], 5u);
  EXPECT_EQ(batch->entries[0].counts.latency_sum_us, 4000u);
}

TEST(TelemetryBatchTest, RefusesMalformedAndHostileBatches) {
  std::vector<std::pair<std::string, std::string>> cases;  // what, body
  auto with = [&](const std::string& what, auto change) {
    json b = Batch();
    change(b);
    cases.push_back({what, b.dump()});
  };
  with("schema 2", [](json& b) { b["schema"] = 2; });
  with("no device id", [](json& b) { b.erase("device_id"); });
  with("device id with a slash", [](json& b) { b["device_id"] = "../etc"; });
  with("device class with spaces", [](json& b) { b["device_class"] = "Arm 64"; });
  with("control characters", [](json& b) { b["device_model"] = "a\nb"; });
  with("long device model", [](json& b) { b["device_model"] = std::string(65, 'x'); });
  with("negative count", [](json& b) { b["entries"][0]["runs"] = -1; });
  with("fractional count", [](json& b) { b["entries"][0]["loads"] = 1.5; });
  with("huge count", [](json& b) { b["entries"][0]["fetch_bytes"] = uint64_t{1} << 62; });
  with("histogram of 3 buckets", [](json& b) { b["entries"][0]["latency"]["counts"] = {1, 2, 2}; });
  with("histogram not adding up", [](json& b) { b["entries"][0]["runs"] = 6; });
  with("version out of range", [](json& b) { b["entries"][0]["version"] = uint64_t{1} << 33; });
  with("bad model name", [](json& b) { b["entries"][0]["model"] = "Scan!"; });
  with("too many entries", [](json& b) {
    for (int i = 0; i < 300; ++i) b["entries"].push_back(b["entries"][0]);
  });
  cases.push_back({"not JSON", "{\"schema\":1,"});
  cases.push_back({"an array", "[]"});
  cases.push_back({"over 64 KiB", std::string(70000, ' ')});
  for (const auto& [what, body] : cases) {
    auto batch = ParseTelemetryBatch(body);
    EXPECT_FALSE(batch.ok()) << what;
    if (!batch.ok()) {
      EXPECT_EQ(batch.status().code(), StatusCode::kInvalidArgument) << what;
      EXPECT_NE(batch.status().message().find("telemetry batch"), std::string::npos) << what;
    }
  }
}

TEST(HistogramQuantileTest, InterpolatesInsideTheBucketLikePrometheus) {
  BucketCounts counts{};
  EXPECT_EQ(HistogramQuantile(counts, 0.5), 0.0);
  counts[3] = 10;  // all in (0.5 ms, 1 ms]
  EXPECT_DOUBLE_EQ(HistogramQuantile(counts, 0.5), 0.00075);
  EXPECT_DOUBLE_EQ(HistogramQuantile(counts, 1.0), 0.001);
  counts[0] = 10;  // and as many in (0, 0.1 ms]
  EXPECT_DOUBLE_EQ(HistogramQuantile(counts, 0.25), 0.00005);
  EXPECT_DOUBLE_EQ(HistogramQuantile(counts, 0.75), 0.00075);
  BucketCounts slow{};
  slow[kLatencyBuckets - 1] = 3;  // beyond the last bound: reported as the last bound
  EXPECT_DOUBLE_EQ(HistogramQuantile(slow, 0.99), 10.0);
}

}  // namespace
}  // namespace kinglet::server
