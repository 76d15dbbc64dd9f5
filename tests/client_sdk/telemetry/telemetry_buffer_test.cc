// The SDK's telemetry buffer, and its batches read back by the server's own parser (so the two
// sides of the wire format agree).
#include "telemetry/telemetry_buffer.h"

#include <gtest/gtest.h>

#include "telemetry/telemetry_batch.h"

namespace kinglet::sdk {
namespace {

TEST(LatencyHistogramTest, BucketsAreUpperBoundsInclusive) {
  LatencyHistogram h;
  h.Add(0.0001);   // exactly the first bound: first bucket
  h.Add(0.00011);  // just above: second
  h.Add(0.003);    // (2.5 ms, 5 ms]
  h.Add(42);       // beyond 10 s: the open bucket
  EXPECT_EQ(h.counts[0], 1u);
  EXPECT_EQ(h.counts[1], 1u);
  EXPECT_EQ(h.counts[5], 1u);
  EXPECT_EQ(h.counts[kLatencyBuckets - 1], 1u);
  EXPECT_EQ(h.total(), 4u);
  EXPECT_EQ(h.sum_us, 100u + 110u + 3000u + 42000000u);
}

TEST(TelemetryBufferTest, AFailedFlushLosesNothingThatFits) {
  TelemetryBuffer buffer(2);
  buffer.RecordRun("scan", 3, 0.002, true);
  buffer.RecordRun("scan", 3, 0.004, true);
  buffer.RecordRun("scan", 3, 0, false);
  buffer.RecordFetch("scan", 3, 1.5, 24701, true);
  buffer.RecordLoad("scan", 3, true);
  TelemetrySnapshot sent = buffer.Take();
  EXPECT_TRUE(buffer.Take().empty());
  buffer.RecordRun("scan", 3, 0.002, true);  // while the flush is out
  buffer.PutBack(sent);                      // ... and it failed
  TelemetrySnapshot all = buffer.Take();
  ASSERT_EQ(all.size(), 1u);
  const VersionTelemetry& t = all.at({"scan", 3});
  EXPECT_EQ(t.runs, 3u);
  EXPECT_EQ(t.run_errors, 1u);
  EXPECT_EQ(t.run_latency.total(), 3u);
  EXPECT_EQ(t.fetches, 1u);
  EXPECT_EQ(t.fetch_bytes, 24701u);
  EXPECT_EQ(t.loads, 1u);
}

TEST(TelemetryBufferTest, IsBoundedByModelVersions) {
  TelemetryBuffer buffer(2);
  buffer.RecordRun("a", 1, 0.001, true);
  buffer.RecordRun("b", 1, 0.001, true);
  buffer.RecordRun("c", 1, 0.001, true);  // no room
  buffer.RecordRun("a", 1, 0.001, true);  // an existing slot still counts
  EXPECT_EQ(buffer.dropped(), 1u);
  TelemetrySnapshot all = buffer.Take();
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(all.at({"a", 1}).runs, 2u);
}

TEST(TelemetryBufferTest, BatchesParseOnTheServer) {
  TelemetryBuffer buffer;
  for (int i = 0; i < 100; ++i) buffer.RecordRun("scan", 2, 0.0005 * (i % 7 + 1), true);
  buffer.RecordFetch("scan", 2, 0.3, 1000, true);
  buffer.RecordFetch("scan", 0, 0, 0, false);
  buffer.RecordCacheFallback("scan", 2);
  DeviceIdentity who{"0123456789abcdef0123456789abcdef", "arm64-low", "Pixel 4a", "android", "kinglet-sdk/1"};
  const std::string body = SerializeBatch(who, buffer.Take(), 1764000000);
  auto batch = server::ParseTelemetryBatch(body);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString() << "\n" << body;
  EXPECT_EQ(batch->device_id, who.device_id);
  EXPECT_EQ(batch->device_class, "arm64-low");
  EXPECT_EQ(batch->device_model, "Pixel 4a");
  EXPECT_EQ(batch->sent, 1764000000);
  ASSERT_EQ(batch->entries.size(), 2u);
  const server::TelemetryEntry& failed = batch->entries[0];  // version 0 sorts first
  EXPECT_EQ(failed.version, 0u);
  EXPECT_EQ(failed.counts.fetch_errors, 1u);
  const server::TelemetryEntry& e = batch->entries[1];
  EXPECT_EQ(e.model, "scan");
  EXPECT_EQ(e.counts.runs, 100u);
  EXPECT_EQ(e.counts.fetches, 1u);
  EXPECT_EQ(e.counts.cache_fallbacks, 1u);
  uint64_t total = 0;
  for (uint64_t c : e.counts.latency) total += c;
  EXPECT_EQ(total, 100u);
  static_assert(server::kLatencyBuckets == kLatencyBuckets, "SDK and server bucket counts differ");
  for (size_t b = 0; b < kLatencyBucketBounds.size(); ++b) EXPECT_EQ(server::kLatencyBounds[b], kLatencyBucketBounds[b]);
}

TEST(TelemetryBufferTest, SavedBatchesReadBackExactly) {
  TelemetryBuffer buffer;
  buffer.RecordRun("scan", 2, 0.003, true);
  buffer.RecordRun("scan", 2, 0, false);
  buffer.RecordFetch("scan", 2, 0.7, 5000, true);
  buffer.RecordCacheFallback("other", 1);
  const TelemetrySnapshot before = buffer.Take();
  auto after = ParseBatchEntries(SerializeBatch(DeviceIdentity{"d", "c", "m", "linux", "v"}, before, 0));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->size(), before.size());
  const VersionTelemetry& a = after->at({"scan", 2});
  const VersionTelemetry& b = before.at({"scan", 2});
  EXPECT_EQ(a.runs, b.runs);
  EXPECT_EQ(a.run_errors, b.run_errors);
  EXPECT_EQ(a.run_latency.counts, b.run_latency.counts);
  EXPECT_EQ(a.run_latency.sum_us, b.run_latency.sum_us);
  EXPECT_EQ(a.fetch_latency.counts, b.fetch_latency.counts);
  EXPECT_EQ(a.fetch_bytes, 5000u);
  EXPECT_EQ(after->at({"other", 1}).cache_fallbacks, 1u);
  for (const char* bad : {"", "{}", R"({"entries":[{"model":"x"}]})", R"({"entries":[{"model":"x","version":-1}]})"}) {
    EXPECT_FALSE(ParseBatchEntries(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace kinglet::sdk
