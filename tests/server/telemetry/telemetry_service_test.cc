// Telemetry ingest end to end below HTTP: a real catalog and a real SQLite telemetry store.
#include "telemetry/telemetry_service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "temp_dir.h"

namespace kinglet::server {
namespace {

using nlohmann::json;

class TelemetryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = Catalog::Open(dir_.path() + "/catalog.sqlite").value();
    store_ = TelemetryStore::Open(dir_.path() + "/telemetry.sqlite").value();
    ASSERT_TRUE(catalog_->PutDeviceClass({"arm64-low", "arm64", {"neon"}, 0, "high"}).ok());
    NewVersion v;
    v.model = "scan";
    v.source_sha256 = std::string(64, 'a');
    v.eval_inputs_sha256 = std::string(64, 'e');
    ASSERT_TRUE(catalog_->CreateVersion(v, 100).ok());
    TelemetryOptions options;
    options.batches_burst = 3;
    options.batches_per_second = 0.001;
    options.now = [this] { return now_; };
    service_ = std::make_unique<TelemetryService>(catalog_.get(), store_.get(), &metrics_, options);
  }

  HttpReply Post(const json& batch, const std::string& type = "application/json") {
    HttpRequestView request;
    request.method = "POST";
    request.target = "/v1/telemetry";
    request.header = [type](const std::string& name) { return name == "content-type" ? type : std::string(); };
    request.body = batch.dump();
    return service_->Ingest(request);
  }

  static json Entry(const std::string& model, uint32_t version, uint64_t runs_in_bucket_4) {
    json counts = json::array();
    for (size_t b = 0; b < kLatencyBuckets; ++b) counts.push_back(b == 4 ? runs_in_bucket_4 : 0);
    json none = json::array();
    for (size_t b = 0; b < kLatencyBuckets; ++b) none.push_back(0);
    return {{"model", model}, {"version", version}, {"runs", runs_in_bucket_4}, {"run_errors", 1}, {"loads", 1},
            {"load_errors", 0}, {"fetches", 0}, {"fetch_errors", 0}, {"fetch_bytes", 0}, {"cache_fallbacks", 0},
            {"latency", {{"counts", counts}, {"sum_us", 2000 * runs_in_bucket_4}}},
            {"fetch_latency", {{"counts", none}, {"sum_us", 0}}}};
  }

  static json Batch(const std::string& device, std::vector<json> entries, const std::string& cls = "arm64-low") {
    return {{"schema", 1}, {"device_id", device}, {"device_class", cls}, {"device_model", "Pixel 4a"},
            {"os", "android"}, {"sdk_version", "kinglet-sdk/1"}, {"sent", 0}, {"entries", entries}};
  }

  kinglet::testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<TelemetryStore> store_;
  DaemonMetrics metrics_;
  std::unique_ptr<TelemetryService> service_;
  int64_t now_ = 1764000000;
};

TEST_F(TelemetryServiceTest, AggregatesAcrossDevicesIntoMetricsAndSummaries) {
  EXPECT_EQ(Post(Batch("phone-1", {Entry("scan", 1, 10)})).status, 202u);
  now_ += 61;  // the next minute
  EXPECT_EQ(Post(Batch("phone-2", {Entry("scan", 1, 30)})).status, 202u);
  const std::string metrics = service_->Metrics().body;
  const std::string labels = "model=\"scan\",version=\"1\",device_class=\"arm64-low\"";
  EXPECT_NE(metrics.find("kinglet_device_inference_seconds_count{" + labels + "} 40\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("kinglet_device_inference_seconds_bucket{" + labels + ",le=\"0.0025\"} 40\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("kinglet_device_inference_seconds_bucket{" + labels + ",le=\"0.001\"} 0\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("kinglet_device_inference_seconds_sum{" + labels + "} 0.08\n"), std::string::npos);
  EXPECT_NE(metrics.find("kinglet_device_run_errors_total{" + labels + "} 2\n"), std::string::npos);
  EXPECT_NE(metrics.find("kinglet_telemetry_batches_total{outcome=\"accepted\"} 2\n"), std::string::npos);

  const json summary = json::parse(service_->Summary({{"model", "scan"}, {"hours", "1"}}).body);
  ASSERT_EQ(summary["totals"].size(), 1u);
  EXPECT_EQ(summary["totals"][0]["runs"], 40);
  EXPECT_DOUBLE_EQ(summary["totals"][0]["p50"].get<double>(), 0.001 + 0.0015 * 0.5);
  ASSERT_EQ(summary["series"].size(), 1u);
  EXPECT_EQ(summary["series"][0]["points"].size(), 2u);  // two minutes
  auto rows = service_->Rows("scan", 0);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].counts.runs, 40u);
}

TEST_F(TelemetryServiceTest, UnknownModelsVersionsAndClassesNeverBecomeLabels) {
  const HttpReply r = Post(Batch("phone-1", {Entry("scan", 1, 1), Entry("ghost", 1, 1), Entry("scan", 9, 1)}));
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(json::parse(r.body)["dropped"], 2);
  EXPECT_EQ(json::parse(Post(Batch("phone-2", {Entry("scan", 1, 1)}, "made-up")).body)["stored"], 0);
  const std::string metrics = service_->Metrics().body;
  EXPECT_EQ(metrics.find("ghost"), std::string::npos);
  EXPECT_EQ(metrics.find("version=\"9\""), std::string::npos);
  EXPECT_EQ(metrics.find("made-up"), std::string::npos);
}

TEST_F(TelemetryServiceTest, RateLimitsEachDeviceAndRefusesBadRequests) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Post(Batch("phone-1", {Entry("scan", 1, 1)})).status, 202u);
  const HttpReply limited = Post(Batch("phone-1", {Entry("scan", 1, 1)}));
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(Post(Batch("phone-2", {Entry("scan", 1, 1)})).status, 202u);  // others are not affected
  EXPECT_EQ(Post(Batch("phone-3", {}), "text/plain").status, 415u);
  json bad = Batch("phone-4", {Entry("scan", 1, 1)});
  bad["entries"][0]["runs"] = 7;  // histogram does not add up
  const HttpReply refused = Post(bad);
  EXPECT_EQ(refused.status, 400u);
  EXPECT_NE(refused.body.find("do not add up"), std::string::npos);
  auto rows = service_->Rows("scan", 0);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].counts.runs, 4u);  // 3 + 1 accepted, nothing from the refused ones
}

TEST_F(TelemetryServiceTest, TotalsSurviveAReopen) {
  EXPECT_EQ(Post(Batch("phone-1", {Entry("scan", 1, 5)})).status, 202u);
  service_.reset();
  store_ = TelemetryStore::Open(dir_.path() + "/telemetry.sqlite").value();
  auto totals = store_->Totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].counts.runs, 5u);
}

}  // namespace
}  // namespace kinglet::server
