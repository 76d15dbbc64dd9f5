// bench/telemetry: the cost of the telemetry loop, each figure beside a peer from the same run.
//
//  1. Ingest: telemetry batches (4 model versions each) POSTed to a real kingletd HTTP stack on
//     loopback and aggregated into SQLite, one connection per batch as devices send them; the
//     peer is GET /healthz through the same stack and client (the HTTP floor), and the store's
//     UPSERTs alone without HTTP.
//  2. The SDK's added latency per Run: Model::Run with telemetry on vs off (LeNet-300-100 from
//     the fixtures), and the bare engine Session::Run as the floor.
//
//   telemetry_bench [--seconds S] [--runs N]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "blobs/blob_store.h"
#include "common/free_port.h"
#include "cache/model_cache.h"
#include "catalog/catalog.h"
#include "common/files.h"
#include "crypto/signing_key.h"
#include "daemon/http_routes.h"
#include "delivery/delivery_service.h"
#include "delivery/http_server.h"
#include "delivery/manifest.h"
#include "kinglet/compression/kgl_writer.h"
#include "kinglet/compression/onnx_importer.h"
#include "kinglet/npy.h"
#include "kinglet/sdk/client.h"
#include "kinglet/session.h"
#include "net/http_client.h"
#include "telemetry/latency_histogram.h"
#include "telemetry/telemetry_service.h"
#include "telemetry/telemetry_store.h"

namespace kinglet {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "telemetry_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what, r.status());
  return std::move(*r);
}


std::string Batch(const std::string& device, int64_t sent) {
  std::string entries;
  for (int v = 1; v <= 4; ++v) {
    std::string counts, none;
    for (size_t b = 0; b < sdk::kLatencyBuckets; ++b) {
      counts += (b ? "," : "") + std::to_string(b == 4 ? 25 : 0);
      none += (b ? "," : "") + std::string(b == 9 ? "1" : "0");
    }
    entries += std::string(v > 1 ? "," : "") + R"({"model":"scan","version":)" + std::to_string(v) +
               R"(,"runs":25,"run_errors":0,"loads":1,"load_errors":0,"fetches":1,"fetch_errors":0,)"
               R"("fetch_bytes":24701,"cache_fallbacks":0,"latency":{"counts":[)" + counts +
               R"(],"sum_us":50000},"fetch_latency":{"counts":[)" + none + R"(],"sum_us":80000}})";
  }
  return R"({"schema":1,"device_id":")" + device + R"(","device_class":"arm64-low","device_model":"Pixel 4a",)"
         R"("os":"android","sdk_version":"kinglet-sdk/1","sent":)" + std::to_string(sent) + R"(,"entries":[)" +
         entries + "]}";
}

// Requests per second from `threads` clients for `seconds`, each request on a new connection.
double Throughput(const std::string& address, int threads, double seconds, bool post, uint64_t* failures) {
  std::atomic<uint64_t> done{0}, failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto client = Must(sdk::HttpClient::Create({}), "http client");
      sdk::HttpRequest request;
      request.url = *sdk::Url::Parse("http://" + address + (post ? "/v1/telemetry" : "/healthz"));
      if (post) {
        request.method = "POST";
        request.headers.push_back({"Content-Type", "application/json"});
      }
      for (uint64_t i = 0; !stop; ++i) {
        if (post) request.body = Batch("bench-" + std::to_string(t) + "-" + std::to_string(i), std::time(nullptr));
        auto response = client->Send(request);
        const bool ok = response.ok() && response->status / 100 == 2;
        ++(ok ? done : failed);
      }
    });
  }
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& w : workers) w.join();
  *failures = failed;
  return static_cast<double>(done) / std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace
}  // namespace kinglet

int main(int argc, char** argv) {
  using namespace kinglet;
  double seconds = 5;
  int runs = 3000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
  }
  char pattern[] = "/tmp/kinglet-telemetry-bench-XXXXXX";
  const std::string dir = ::mkdtemp(pattern);
  std::printf("telemetry_bench: %u hardware threads, data in %s\n", std::thread::hardware_concurrency(), dir.c_str());

  // A real catalog with one model of 4 versions, so every entry is stored.
  auto catalog = Must(server::Catalog::Open(dir + "/catalog.sqlite"), "catalog");
  if (!catalog->PutDeviceClass({"arm64-low", "arm64", {"neon"}, 0, "high"}).ok()) return 1;
  for (int v = 0; v < 4; ++v) {
    server::NewVersion nv;
    nv.model = "scan";
    nv.source_sha256 = std::string(64, static_cast<char>('a' + v));
    nv.eval_inputs_sha256 = std::string(64, 'e');
    Must(catalog->CreateVersion(nv, 100), "version");
  }
  auto store = Must(server::TelemetryStore::Open(dir + "/telemetry.sqlite"), "telemetry store");
  auto blobs = Must(server::BlobStore::Open(dir + "/blobs"), "blob store");
  auto key = Must(server::SigningKey::Generate(), "key");
  server::DaemonMetrics metrics;
  server::TelemetryOptions options;
  options.batches_burst = 1e9;  // the bench measures the store, not the limiter
  options.peer_burst = 1e9;
  server::TelemetryService telemetry(catalog.get(), store.get(), &metrics, options);
  server::DeliveryOptions delivery_options;
  delivery_options.public_url = "http://127.0.0.1";
  server::DeliveryService delivery(catalog.get(), blobs.get(), key.get(), delivery_options);
  server::HttpRoutes routes(&delivery, &telemetry, &metrics);
  const std::string address = "127.0.0.1:" + std::to_string(testing::FreePort());
  server::HttpServer http([&routes](const server::HttpRequestView& r) { return routes.Handle(r); }, {address, 2});
  if (!http.Start().ok()) Die("listen", Status::IOError(address));

  // 1. Ingest.
  const int clients = 2;
  uint64_t failed_ingest = 0, failed_health = 0;
  Throughput(address, clients, 0.5, true, &failed_ingest);  // warm-up
  const double ingest = Throughput(address, clients, seconds, true, &failed_ingest);
  const double health = Throughput(address, clients, seconds, false, &failed_health);
  // The store alone, same batches, no HTTP or JSON.
  server::TelemetryBatch parsed = Must(server::ParseTelemetryBatch(Batch("direct", 0)), "parse");
  std::vector<const server::TelemetryEntry*> entries;
  for (const auto& e : parsed.entries) entries.push_back(&e);
  uint64_t direct = 0;
  const auto direct_start = Clock::now();
  while (Clock::now() - direct_start < std::chrono::duration<double>(seconds)) {
    parsed.device_model = "model-" + std::to_string(direct % 16);
    if (!store->Add(parsed, entries, std::time(nullptr)).ok()) return 1;
    ++direct;
  }
  const double store_rate = static_cast<double>(direct) / std::chrono::duration<double>(Clock::now() - direct_start).count();
  std::printf("\ningest (%d clients, %.0f s each, one connection per request, 4 entries per batch)\n", clients, seconds);
  std::printf("  %-44s %10.0f /s  (%llu failed)\n", "POST /v1/telemetry, validated + SQLite", ingest,
              static_cast<unsigned long long>(failed_ingest));
  std::printf("  %-44s %10.0f /s  (%llu failed)\n", "peer: GET /healthz, same stack", health,
              static_cast<unsigned long long>(failed_health));
  std::printf("  %-44s %10.0f /s\n", "peer: TelemetryStore::Add alone (1 thread)", store_rate);
  std::printf("  ratio ingest / healthz: %.2f\n", ingest / health);

  // 2. SDK overhead per Run. The clients find the artifact in their caches (the server has no
  //    such model, so they fall back to the verified cached version and never download).
  auto graph = Must(compression::ImportOnnxFile(std::string(KINGLET_FIXTURES_DIR) + "/lenet300.onnx"), "import");
  const std::string kgl = Must(compression::SerializeKgl(graph), "serialize");
  const std::string sha = sdk::Sha256Hex(kgl.data(), kgl.size());
  server::ManifestFields f{"bench", 1, "arm64-low", sha, kgl.size(), "http://127.0.0.1/v1/blobs/" + sha, 1,
                           std::time(nullptr), std::time(nullptr) + 3600};
  const std::string manifest = Must(server::SignManifest(f, *key), "sign");
  auto make_client = [&](const std::string& name, bool on) {
    const std::string cache_dir = dir + "/" + name;
    auto cache = Must(sdk::ModelCache::Open(cache_dir, 1 << 30), "cache");
    if (!sdk::WriteFileAtomically(cache->BlobPath(sha), kgl).ok() || !cache->StoreManifest("bench", {manifest, ""}).ok())
      Die("cache", Status::IOError(cache_dir));
    sdk::ClientConfig config;
    config.server_url = "http://" + address;
    config.public_keys_pem = {key->public_key_pem()};
    config.cache_dir = cache_dir;
    config.device_class = "arm64-low";
    config.telemetry = on;
    config.max_attempts = 1;
    return Must(sdk::Client::Create(config), "client");
  };
  auto with = make_client("on", true), without = make_client("off", false);
  auto model_on = Must(with->Model("bench"), "model"), model_off = Must(without->Model("bench"), "model");
  if (!model_on->Prefetch().ok() || !model_off->Prefetch().ok()) Die("prefetch", model_on->last_error());
  auto engine_model = Must(Model::LoadBuffer(kgl.data(), kgl.size()), "load");
  auto session = Must(Session::Create(engine_model), "session");
  auto images = Must(ReadNpy(std::string(KINGLET_FIXTURES_DIR) + "/fashion_sample.npy"), "images");
  Shape one = images.shape();
  one[0] = 1;
  const std::vector<NamedTensor> inputs = {
      {engine_model->inputs()[0].name, Tensor::View(DataType::kFloat32, one, images.data<float>())}};
  std::vector<NamedTensor> out_on, out_off, out_engine;
  std::vector<double> t_on, t_off, t_engine;
  auto time = [](auto&& run, std::vector<double>* into) {
    const auto t0 = Clock::now();
    if (!run().ok()) std::exit(1);
    into->push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  };
  for (int i = 0; i < runs; ++i) {  // interleaved, so drift hits all three alike
    time([&] { return model_on->Run(inputs, &out_on); }, &t_on);
    time([&] { return model_off->Run(inputs, &out_off); }, &t_off);
    time([&] { return session->Run(inputs, &out_engine); }, &t_engine);
  }
  std::printf("\nSDK Run, LeNet-300-100, batch 1, %d runs each (median us)\n", runs);
  std::printf("  %-44s %10.2f\n", "Model::Run, telemetry on", Median(t_on));
  std::printf("  %-44s %10.2f\n", "Model::Run, telemetry off", Median(t_off));
  std::printf("  %-44s %10.2f\n", "peer: engine Session::Run", Median(t_engine));
  std::printf("  ratio telemetry on / off: %.3f; SDK (on) / engine: %.3f\n", Median(t_on) / Median(t_off),
              Median(t_on) / Median(t_engine));
  http.Stop();
  std::system(("rm -rf " + dir).c_str());
  return 0;
}
