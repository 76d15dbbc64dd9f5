// The client SDK against a real kingletd on loopback (through an intercepting proxy where the
// test needs the network to misbehave): lazy fetch, verification, the cache and its fallback,
// resumed downloads, concurrency, and telemetry reaching /metrics and `kinglet telemetry`.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/file_io.h"
#include "common/files.h"
#include "crypto/signing_key.h"
#include "delivery/manifest.h"
#include "http_client.h"
#include "intercepting_proxy.h"
#include "kinglet/npy.h"
#include "kinglet/sdk/client.h"
#include "kinglet/sdk/kinglet_sdk.h"
#include "kingletd_process.h"
#include "temp_dir.h"

namespace kinglet {
namespace {

using nlohmann::json;
using testing::InterceptingProxy;
using testing::Kingletd;

const std::string kFixtures = KINGLET_FIXTURES_DIR;
const std::string kLeNet300 = kFixtures + "/lenet300.onnx";
const std::string kImages = kFixtures + "/fashion_sample.npy";
const std::string kLabels = kFixtures + "/fashion_sample_labels.npy";

class SdkEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<Kingletd>(tmp_.path() + "/data");
    daemon_->Start();
    // One class this machine matches keeps each upload to one quick job.
    ASSERT_TRUE(daemon_->UseOneTestClass());
    UploadAndRollOut("fashion", "low", 1);
    auto images = ReadNpy(kImages);
    ASSERT_TRUE(images.ok());
    Shape one = images->shape();
    one[0] = 1;
    image_ = Tensor(DataType::kFloat32, one);
    std::copy(images->data<float>(), images->data<float>() + image_.element_count(), image_.data<float>());
  }

  // Uploads LeNet-300 as `model`, compressed under `profile` (so a different profile gives a
  // different artifact), and rolls it out to everyone.
  void UploadAndRollOut(const std::string& model, const std::string& profile, uint32_t version) {
    ASSERT_EQ(daemon_->Cli("device-classes put test-x86 --isa x86_64 --profile " + profile).code, 0);
    const auto up = daemon_->Cli("upload " + kLeNet300 + " --name " + model + " --eval " + kImages + " " + kLabels +
                                 " --max-drop 0");
    ASSERT_EQ(up.code, 0) << up.output;
    ASSERT_EQ(daemon_->Cli("rollout " + model + " --version " + std::to_string(version)).code, 0);
  }

  std::string ArtifactSha(const std::string& model, uint32_t version) {
    const json m = daemon_->CliJson("model " + model);
    for (const json& v : m["versions"]) {
      if (v["version"] == version) return v["artifacts"][0]["sha256"];
    }
    return "";
  }

  sdk::ClientConfig Config(const std::string& cache, const std::string& url = "") {
    sdk::ClientConfig c;
    c.server_url = url.empty() ? "http://" + daemon_->http() : url;
    c.public_keys_pem = {*server::ReadFile(daemon_->data_dir() + "/signing.pub")};
    c.cache_dir = tmp_.path() + "/" + cache;
    c.timeout = std::chrono::milliseconds(3000);
    c.max_attempts = 3;
    c.backoff = std::chrono::milliseconds(10);
    c.telemetry_interval = std::chrono::hours(1);  // flushed by hand
    return c;
  }

  std::unique_ptr<sdk::Client> NewClient(const sdk::ClientConfig& config) {
    auto client = sdk::Client::Create(config);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // Top-1 class of the first sample image.
  int64_t Classify(sdk::Model& model) {
    const std::string input = model.info().inputs.empty() ? "input" : model.info().inputs[0].name;
    std::vector<NamedTensor> outputs;
    const Status ran = model.Run({{input, image_}}, &outputs);
    EXPECT_TRUE(ran.ok()) << ran.ToString();
    if (!ran.ok()) return -1;
    const float* s = outputs[0].tensor.data<float>();
    return std::max_element(s, s + outputs[0].tensor.element_count()) - s;
  }

  // A manifest for `model` signed now by `key`, with the fields given.
  std::string Forge(const server::SigningKey& key, const std::string& sha, uint64_t size, uint32_t version,
                    uint64_t serial, int64_t issued, int64_t expires) {
    server::ManifestFields f;
    f.model = "fashion";
    f.version = version;
    f.device_class = "test-x86";
    f.sha256 = sha;
    f.size = size;
    f.url = "http://" + daemon_->http() + "/v1/blobs/" + sha;
    f.serial = serial;
    f.issued = issued;
    f.expires = expires;
    return *server::SignManifest(f, key);
  }

  // A counter from /metrics ("" labels = the unlabelled series).
  uint64_t Metric(const std::string& series) {
    const std::string body = testing::HttpGet(daemon_->http(), "/metrics").body;
    const size_t at = body.find("\n" + series + " ");
    return at == std::string::npos ? 0 : std::stoull(body.substr(at + series.size() + 2));
  }

  kinglet::testing::TempDir tmp_;
  std::unique_ptr<Kingletd> daemon_;
  Tensor image_;
};

TEST_F(SdkEndToEnd, FirstRunFetchesLaterRunsAndRestartsDoNot) {
  const std::string blob_requests = "kinglet_http_requests_total{route=\"blob\",code=\"200\"}";
  {
    auto client = NewClient(Config("cache"));
    auto model = *client->Model("fashion");
    EXPECT_EQ(model->info().version, 0u);  // nothing fetched before first use
    EXPECT_EQ(Metric(blob_requests), 0u);
    const int64_t first = Classify(*model);
    const sdk::ModelInfo info = model->info();
    EXPECT_EQ(info.version, 1u);
    EXPECT_EQ(info.device_class, "test-x86");  // matched from the server's classes
    EXPECT_EQ(info.sha256, ArtifactSha("fashion", 1));
    EXPECT_EQ(info.downloaded_bytes, info.size);
    EXPECT_EQ(Classify(*model), first);
    EXPECT_EQ(Metric(blob_requests), 1u);
  }
  // A new process with the same cache: the manifest is revalidated (304), the blob is not fetched.
  auto client = NewClient(Config("cache"));
  auto model = *client->Model("fashion");
  ASSERT_TRUE(model->Prefetch().ok());
  EXPECT_EQ(model->info().downloaded_bytes, 0u);
  EXPECT_FALSE(model->info().from_cache_fallback);
  EXPECT_EQ(Metric(blob_requests), 1u);
  EXPECT_EQ(Metric("kinglet_http_requests_total{route=\"manifest\",code=\"304\"}"), 1u);
}

TEST_F(SdkEndToEnd, ABlobTamperedOnTheServerIsRefusedAndTheCachedVersionServes) {
  auto good = NewClient(Config("cache"));
  ASSERT_TRUE((*good->Model("fashion"))->Prefetch().ok());
  good.reset();
  UploadAndRollOut("fashion", "high", 2);
  const std::string v2 = ArtifactSha("fashion", 2);
  ASSERT_NE(v2, ArtifactSha("fashion", 1));
  // One byte flipped on the server's disk.
  const std::string path = daemon_->data_dir() + "/blobs/" + v2.substr(0, 2) + "/" + v2;
  std::string bytes = *server::ReadFile(path);
  bytes[bytes.size() / 2] ^= 0x01;
  ::chmod(path.c_str(), 0600);
  ASSERT_TRUE(server::WriteFileAtomically(path, bytes).ok());

  Status absorbed;
  sdk::ClientConfig config = Config("cache");
  config.on_error = [&](const std::string&, const Status& s) { absorbed = s; };
  auto client = NewClient(config);
  auto model = *client->Model("fashion");
  ASSERT_TRUE(model->Prefetch().ok());
  EXPECT_EQ(model->info().version, 1u);
  EXPECT_TRUE(model->info().from_cache_fallback);
  EXPECT_EQ(model->last_error().code(), StatusCode::kCorruption) << model->last_error().ToString();
  EXPECT_EQ(absorbed.code(), StatusCode::kCorruption);
  EXPECT_GE(Classify(*model), 0);
  // Nothing of the bad blob stays behind.
  EXPECT_FALSE(sdk::FileExists(config.cache_dir + "/blobs/" + v2 + ".kgl"));
  EXPECT_FALSE(sdk::FileExists(config.cache_dir + "/partial/" + v2 + ".part"));
  // And a device with no cache gets a clear error rather than a bad model.
  auto fresh = NewClient(Config("empty-cache"));
  const Status none = (*fresh->Model("fashion"))->Prefetch();
  EXPECT_EQ(none.code(), StatusCode::kCorruption) << none.ToString();
}

TEST_F(SdkEndToEnd, TamperedForeignExpiredAndReplayedManifestsAreRefused) {
  InterceptingProxy proxy(daemon_->http());
  std::string v1_manifest;
  proxy.SetManifestRewrite([&](const std::string& body) { return v1_manifest = body, body; });
  {
    auto client = NewClient(Config("cache", proxy.url()));
    ASSERT_TRUE((*client->Model("fashion"))->Prefetch().ok());
  }
  ASSERT_FALSE(v1_manifest.empty());
  const json v1 = json::parse(v1_manifest)["signed"];
  const std::string sha = v1["sha256"];
  const uint64_t size = v1["size"];
  const int64_t now = std::time(nullptr);
  auto server_key = server::SigningKey::LoadOrCreate(daemon_->data_dir() + "/signing.key",
                                                     daemon_->data_dir() + "/signing.pub");
  auto foreign_key = server::SigningKey::LoadOrCreate(tmp_.path() + "/other.key", tmp_.path() + "/other.pub");
  ASSERT_TRUE(server_key.ok() && foreign_key.ok());

  struct Case {
    const char* what;
    std::string manifest;
    StatusCode expected;
  };
  std::string tampered = v1_manifest;
  tampered.replace(tampered.find("\"version\":1"), 11, "\"version\":7");
  const Case cases[] = {
      {"tampered", tampered, StatusCode::kUnauthenticated},
      {"signed by a key not pinned", Forge(**foreign_key, sha, size, 1, 5, now, now + 3600),
       StatusCode::kUnauthenticated},
      {"expired", Forge(**server_key, sha, size, 1, 1, now - 7200, now - 3600), StatusCode::kFailedPrecondition},
      {"replayed with an older serial", Forge(**server_key, sha, size, 1, 0, now, now + 3600),
       StatusCode::kFailedPrecondition},
      {"unsigned", json{{"signed", v1}, {"signatures", json::array()}}.dump(), StatusCode::kUnauthenticated},
  };
  for (const Case& c : cases) {
    proxy.SetManifestRewrite([m = c.manifest](const std::string&) { return m; });
    auto client = NewClient(Config("cache", proxy.url()));
    auto model = *client->Model("fashion");
    ASSERT_TRUE(model->Prefetch().ok()) << c.what;
    EXPECT_TRUE(model->info().from_cache_fallback) << c.what;
    EXPECT_EQ(model->info().version, 1u) << c.what;
    EXPECT_EQ(model->last_error().code(), c.expected) << c.what << ": " << model->last_error().ToString();
    EXPECT_GE(Classify(*model), 0) << c.what;
  }
}

TEST_F(SdkEndToEnd, AReplayedOldManifestCannotRollADeviceBack) {
  InterceptingProxy proxy(daemon_->http());
  std::string v1_manifest;
  proxy.SetManifestRewrite([&](const std::string& body) { return v1_manifest = body, body; });
  auto client = NewClient(Config("cache", proxy.url()));
  auto model = *client->Model("fashion");
  ASSERT_TRUE(model->Prefetch().ok());
  proxy.SetManifestRewrite(nullptr);
  UploadAndRollOut("fashion", "high", 2);  // serial 2
  ASSERT_TRUE(model->Refresh().ok());
  EXPECT_EQ(model->info().version, 2u);
  // An attacker replays the genuine, unexpired version-1 manifest (serial 1).
  proxy.SetManifestRewrite([&](const std::string&) { return v1_manifest; });
  const Status refused = model->Refresh();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
  EXPECT_EQ(model->info().version, 2u);
  // Also across restarts: the accepted serial is remembered in the cache.
  auto restarted = NewClient(Config("cache", proxy.url()));
  auto again = *restarted->Model("fashion");
  ASSERT_TRUE(again->Prefetch().ok());
  EXPECT_EQ(again->info().version, 2u);
  EXPECT_TRUE(again->info().from_cache_fallback);
}

TEST_F(SdkEndToEnd, ServerDownServesTheCacheAndTelemetryArrivesWhenItReturns) {
  {
    auto client = NewClient(Config("cache"));
    ASSERT_GE(Classify(**client->Model("fashion")), 0);
    ASSERT_TRUE(client->Flush().ok());
  }
  daemon_->Kill(SIGKILL);
  sdk::ClientConfig config = Config("cache");
  config.max_attempts = 1;
  auto client = NewClient(config);
  auto model = *client->Model("fashion");
  for (int i = 0; i < 5; ++i) ASSERT_GE(Classify(*model), 0);
  EXPECT_TRUE(model->info().from_cache_fallback);
  EXPECT_EQ(model->last_error().code(), StatusCode::kIOError) << model->last_error().ToString();
  EXPECT_FALSE(client->Flush().ok());  // kept for later
  daemon_->Start();
  ASSERT_TRUE(client->Flush().ok());
  const json report = daemon_->CliJson("telemetry fashion");
  uint64_t runs = 0, fallbacks = 0;
  for (const json& row : report["rows"]) {
    if (row["version"] == 1) {
      runs += std::stoull(row.value("runs", std::string("0")));
      fallbacks += std::stoull(row.value("cacheFallbacks", std::string("0")));
    }
  }
  EXPECT_EQ(runs, 6u);  // 1 before the outage + 5 during it
  EXPECT_EQ(fallbacks, 1u);

  // An app that exits during an outage keeps its telemetry on disk for its next start.
  client.reset();
  daemon_->Kill(SIGKILL);
  {
    auto offline = NewClient(config);
    for (int i = 0; i < 3; ++i) ASSERT_GE(Classify(**offline->Model("fashion")), 0);
  }  // the final flush fails: saved in the cache
  daemon_->Start();
  auto next = NewClient(Config("cache"));
  ASSERT_TRUE(next->Flush().ok());
  runs = 0;
  const json after = daemon_->CliJson("telemetry fashion");
  for (const json& row : after["rows"]) {
    if (row["version"] == 1) runs += std::stoull(row.value("runs", std::string("0")));
  }
  EXPECT_EQ(runs, 9u) << after.dump();
}

TEST_F(SdkEndToEnd, ADownloadCutMidwayResumesWhereItStopped) {
  InterceptingProxy proxy(daemon_->http());
  const std::string sha = ArtifactSha("fashion", 1);
  const json model_json = daemon_->CliJson("model fashion");
  const uint64_t size = std::stoull(model_json["versions"][0]["artifacts"][0]["sizeBytes"].get<std::string>());
  proxy.CutNextBlobAfter(size / 2);
  // Blob URLs name kingletd itself; route them through the proxy too.
  proxy.SetManifestRewrite(nullptr);
  sdk::ClientConfig config = Config("cache", proxy.url());
  auto server_key = server::SigningKey::LoadOrCreate(daemon_->data_dir() + "/signing.key",
                                                     daemon_->data_dir() + "/signing.pub");
  std::shared_ptr<server::SigningKey> key = std::move(*server_key);
  proxy.SetManifestRewrite([&proxy, key](const std::string& body) {
    json signed_part = json::parse(body)["signed"];
    server::ManifestFields f;
    f.model = signed_part["model"];
    f.version = signed_part["version"];
    f.device_class = signed_part["device_class"];
    f.sha256 = signed_part["sha256"];
    f.size = signed_part["size"];
    f.url = proxy.url() + "/v1/blobs/" + f.sha256;
    f.serial = signed_part["serial"];
    f.issued = signed_part["issued"];
    f.expires = signed_part["expires"];
    return *server::SignManifest(f, *key);
  });
  auto client = NewClient(config);
  auto model = *client->Model("fashion");
  ASSERT_TRUE(model->Prefetch().ok()) << model->last_error().ToString();
  EXPECT_FALSE(model->info().from_cache_fallback);
  EXPECT_EQ(model->info().downloaded_bytes, size);  // no byte fetched twice
  EXPECT_EQ(model->info().resumed_from, size / 2);
  const std::vector<std::string> seen = proxy.requests();
  EXPECT_NE(std::find(seen.begin(), seen.end(), "GET /v1/blobs/" + sha + " bytes=" + std::to_string(size / 2) + "-"),
            seen.end());
  EXPECT_GE(Classify(*model), 0);
}

TEST_F(SdkEndToEnd, TheCacheCapEvictsTheLeastRecentlyUsedBlob) {
  UploadAndRollOut("other", "high", 1);
  const std::string fashion = ArtifactSha("fashion", 1), other = ArtifactSha("other", 1);
  ASSERT_NE(fashion, other);
  sdk::ClientConfig config = Config("cache");
  auto first = NewClient(config);
  ASSERT_TRUE((*first->Model("fashion"))->Prefetch().ok());
  const uint64_t fashion_size = (*first->Model("fashion"))->info().size;
  first.reset();
  config.cache_max_bytes = fashion_size + 1000;  // room for one of the two
  auto client = NewClient(config);
  ASSERT_TRUE((*client->Model("other"))->Prefetch().ok());
  EXPECT_TRUE(sdk::FileExists(config.cache_dir + "/blobs/" + other + ".kgl"));
  EXPECT_FALSE(sdk::FileExists(config.cache_dir + "/blobs/" + fashion + ".kgl"));
}

TEST_F(SdkEndToEnd, ThirtyTwoThreadsShareOneDownloadAndAgree) {
  auto client = NewClient(Config("cache"));
  auto model = *client->Model("fashion");
  std::atomic<int> ready{0};
  std::vector<int64_t> answers(32, -2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      ++ready;
      while (ready < 32) std::this_thread::yield();
      for (int i = 0; i < 20; ++i) {
        std::vector<NamedTensor> outputs;
        const std::string input = "input";  // LeNet-300's input name
        const Status ran = model->Run({{input, image_}}, &outputs);
        if (!ran.ok()) {
          answers[t] = -1;
          return;
        }
        const float* s = outputs[0].tensor.data<float>();
        answers[t] = std::max_element(s, s + outputs[0].tensor.element_count()) - s;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int64_t a : answers) EXPECT_EQ(a, answers[0]);
  EXPECT_GE(answers[0], 0);
  EXPECT_EQ(Metric("kinglet_http_requests_total{route=\"blob\",code=\"200\"}"), 1u);
  EXPECT_EQ(model->info().downloaded_bytes, model->info().size);
}

TEST_F(SdkEndToEnd, TheDemoAppsTelemetryShowsInMetricsAndTheCli) {
  const testing::Outcome app = testing::Shell(std::string(KINGLET_DEMO_APP_PATH) + " --server http://" +
                                              daemon_->http() + " --public-key " + daemon_->data_dir() +
                                              "/signing.pub --model fashion --cache " + tmp_.path() + "/app " +
                                              kImages + " " + kLabels);
  ASSERT_EQ(app.code, 0) << app.output;
  EXPECT_NE(app.output.find("accuracy 100.00% (16/16)"), std::string::npos) << app.output;
  EXPECT_NE(app.output.find("telemetry delivered"), std::string::npos) << app.output;
  const std::string labels = "{model=\"fashion\",version=\"1\",device_class=\"test-x86\"}";
  EXPECT_EQ(Metric("kinglet_device_inference_seconds_count" + labels), 16u);
  EXPECT_EQ(Metric("kinglet_device_loads_total" + labels), 1u);
  EXPECT_EQ(Metric("kinglet_device_fetch_seconds_count" + labels), 1u);
  const json report = daemon_->CliJson("telemetry fashion");
  ASSERT_EQ(report["rows"].size(), 1u) << report.dump();
  EXPECT_EQ(report["rows"][0]["runs"], "16");
  EXPECT_GT(report["rows"][0]["p50Seconds"].get<double>(), 0.0);
  const testing::Outcome table = daemon_->Cli("telemetry fashion");
  EXPECT_NE(table.output.find("test-x86"), std::string::npos) << table.output;
}

TEST_F(SdkEndToEnd, TheCApiFetchesAndRuns) {
  const std::string pem = *server::ReadFile(daemon_->data_dir() + "/signing.pub");
  const char* keys[] = {pem.c_str()};
  const std::string url = "http://" + daemon_->http();
  const std::string cache = tmp_.path() + "/c-cache";
  kinglet_client_config config{};
  config.server_url = url.c_str();
  config.public_keys_pem = keys;
  config.public_key_count = 1;
  config.cache_dir = cache.c_str();
  config.telemetry = 1;
  kinglet_client* client = nullptr;
  ASSERT_EQ(kinglet_client_create(&config, &client), KINGLET_OK) << kinglet_last_error();
  kinglet_model* model = nullptr;
  ASSERT_EQ(kinglet_client_model(client, "fashion", &model), KINGLET_OK);
  EXPECT_EQ(kinglet_model_version(model), 0u);
  float scores[10];
  size_t count = 0;
  const Shape& shape = image_.shape();
  ASSERT_EQ(kinglet_model_run_f32(model, "input", image_.data<float>(), shape.data(), shape.size(), scores, 10, &count),
            KINGLET_OK)
      << kinglet_last_error();
  EXPECT_EQ(count, 10u);
  EXPECT_EQ(kinglet_model_version(model), 1u);
  EXPECT_EQ(kinglet_model_run_f32(model, "input", image_.data<float>(), shape.data(), shape.size(), scores, 5, &count),
            KINGLET_RESOURCE_EXHAUSTED);
  EXPECT_EQ(kinglet_client_model(client, "Bad Name", &model), KINGLET_INVALID_ARGUMENT);
  EXPECT_NE(std::string(kinglet_last_error()).find("model name"), std::string::npos);
  kinglet_model_release(model);
  EXPECT_EQ(kinglet_client_flush(client), KINGLET_OK) << kinglet_last_error();
  kinglet_client_destroy(client);
}

}  // namespace
}  // namespace kinglet
