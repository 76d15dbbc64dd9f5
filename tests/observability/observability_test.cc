// What the operator sees, with the real tools: Debian's Prometheus scraping kingletd with the
// shipped scrape config, and Debian's Chromium rendering /dashboard. The telemetry comes from
// the example app, through the SDK.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "common/file_io.h"
#include "http_client.h"
#include "kingletd_process.h"
#include "temp_dir.h"

namespace kinglet {
namespace {

using nlohmann::json;
using testing::Kingletd;
using testing::Outcome;
using testing::Shell;

const std::string kFixtures = KINGLET_FIXTURES_DIR;

bool Installed(const std::string& program) { return Shell("command -v " + program).code == 0; }

class ObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<Kingletd>(tmp_.path() + "/data");
    daemon_->Start();
    ASSERT_TRUE(daemon_->UseOneTestClass());
    const Outcome up = daemon_->Cli("upload " + kFixtures + "/lenet300.onnx --name fashion --eval " + kFixtures +
                                    "/fashion_sample.npy " + kFixtures + "/fashion_sample_labels.npy --max-drop 0");
    ASSERT_EQ(up.code, 0) << up.output;
    ASSERT_EQ(daemon_->Cli("rollout fashion --version 1").code, 0);
    const Outcome app = Shell(std::string(KINGLET_DEMO_APP_PATH) + " --server http://" + daemon_->http() +
                              " --public-key " + daemon_->data_dir() + "/signing.pub --model fashion --cache " +
                              tmp_.path() + "/app " + kFixtures + "/fashion_sample.npy " + kFixtures +
                              "/fashion_sample_labels.npy");
    ASSERT_EQ(app.code, 0) << app.output;
  }

  kinglet::testing::TempDir tmp_;
  std::unique_ptr<Kingletd> daemon_;
};

TEST_F(ObservabilityTest, PrometheusScrapesTheLatencyHistogram) {
  if (!Installed("prometheus")) GTEST_SKIP() << "install Debian's prometheus (deploy/install-deps.sh)";
  // The shipped scrape config, pointed at this daemon and scraping every second.
  std::string config = *server::ReadFile(std::string(KINGLET_SOURCE_DIR) + "/deploy/prometheus/prometheus.yml");
  config = std::regex_replace(config, std::regex("127\\.0\\.0\\.1:8080"), daemon_->http());
  config = std::regex_replace(config, std::regex("(scrape_interval|evaluation_interval): *[0-9]+[smh]"), "$1: 1s");
  const std::string config_path = tmp_.path() + "/prometheus.yml";
  ASSERT_TRUE(server::WriteFileAtomically(config_path, config).ok());
  const std::string listen = "127.0.0.1:" + std::to_string(testing::FreePort());
  const pid_t prometheus = ::fork();
  if (prometheus == 0) {
    const std::string log = tmp_.path() + "/prometheus.log";
    freopen(log.c_str(), "w", stdout);
    freopen(log.c_str(), "a", stderr);
    execlp("prometheus", "prometheus", ("--config.file=" + config_path).c_str(),
           ("--storage.tsdb.path=" + tmp_.path() + "/tsdb").c_str(), ("--web.listen-address=" + listen).c_str(),
           nullptr);
    _exit(127);
  }
  // Prometheus's own HTTP API, until the scraped count appears (or 90 s).
  const std::string query = "/api/v1/query?query=" + std::string(
      "kinglet_device_inference_seconds_count%7Bmodel%3D%22fashion%22%2Cversion%3D%221%22%2C"
      "device_class%3D%22test-x86%22%7D");
  json answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    const testing::HttpResult r = testing::HttpGet(listen, query);
    if (r.status == 200) {
      answer = json::parse(r.body, nullptr, false);
      if (!answer.is_discarded() && !answer["data"]["result"].empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_FALSE(answer.is_discarded());
  ASSERT_EQ(answer["data"]["result"].size(), 1u) << answer.dump() << "\n" << *server::ReadFile(tmp_.path() + "/prometheus.log");
  EXPECT_EQ(answer["data"]["result"][0]["value"][1], "16");
  // And a percentile the way a Grafana panel asks for it.
  const testing::HttpResult p90 = testing::HttpGet(
      listen, "/api/v1/query?query=histogram_quantile(0.9%2C%20sum%20by%20(le)%20"
              "(kinglet_device_inference_seconds_bucket%7Bmodel%3D%22fashion%22%7D))");
  ASSERT_EQ(p90.status, 200);
  const json quantile = json::parse(p90.body);
  ASSERT_EQ(quantile["data"]["result"].size(), 1u) << p90.body;
  const double seconds = std::stod(quantile["data"]["result"][0]["value"][1].get<std::string>());
  EXPECT_GT(seconds, 0.0);
  EXPECT_LT(seconds, 1.0);  // a LeNet-300 run on this machine is well under a second
  ::kill(prometheus, SIGTERM);
  ::waitpid(prometheus, nullptr, 0);
}

TEST_F(ObservabilityTest, TheDashboardRendersTheSeriesInChromium) {
  std::string browser = Installed("chromium") ? "chromium" : (Installed("chromium-browser") ? "chromium-browser" : "");
  if (browser.empty()) GTEST_SKIP() << "install Debian's chromium (deploy/install-deps.sh)";
  const std::string url = "http://" + daemon_->http() + "/dashboard?model=fashion";
  const std::string flags = " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
                            "--user-data-dir=" + tmp_.path() + "/chromium --virtual-time-budget=10000 ";
  const Outcome dom = Shell(browser + flags + "--dump-dom '" + url + "' 2>/dev/null");
  ASSERT_EQ(dom.code, 0) << dom.output.substr(0, 2000);
  EXPECT_NE(dom.output.find("data-loaded=\"true\""), std::string::npos) << dom.output.substr(0, 4000);
  // Every chart draws the one series there is, named by version and device class.
  for (const char* chart : {"p50", "p90", "p99", "fetch_p50", "error_rate", "runs"}) {
    const std::regex drawn(std::string("data-chart=\"") + chart +
                           "\"[\\s\\S]*?<path[^>]*data-series=\"v1 test-x86\"");
    EXPECT_TRUE(std::regex_search(dom.output, drawn)) << chart;
  }
  EXPECT_NE(dom.output.find("<tr data-series=\"v1 test-x86\"><td>1</td><td>test-x86</td><td>16</td>"),
            std::string::npos)
      << dom.output.substr(0, 6000);
  // A screenshot for people, kept with the test's outputs.
  const std::string shot = std::string(KINGLET_TEST_ARTIFACTS_DIR) + "/dashboard.png";
  server::MakeDirectories(KINGLET_TEST_ARTIFACTS_DIR).ok();
  const Outcome png = Shell(browser + flags + "--window-size=1400,1100 --screenshot=" + shot + " '" + url + "'");
  ASSERT_EQ(png.code, 0) << png.output.substr(0, 2000);
  EXPECT_GT(*server::FileSize(shot), 10000u);
}

}  // namespace
}  // namespace kinglet
