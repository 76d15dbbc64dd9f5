// kinglet-demo-app: classifies Fashion-MNIST images through the client SDK, the way a phone app
// would: the model is fetched lazily on the first Run, verified against the pinned public key,
// cached, run image by image, and the app's latency is reported to kingletd before it exits.
//
//   kinglet-demo-app --server URL --public-key FILE --model NAME --cache DIR IMAGES.npy [LABELS.npy]
//                    [--device-class NAME] [--limit N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "kinglet/npy.h"
#include "kinglet/sdk/client.h"

namespace {

constexpr char kUsage[] =
    "usage: kinglet-demo-app --server URL --public-key FILE --model NAME --cache DIR IMAGES.npy [LABELS.npy]\n"
    "                        [--device-class NAME] [--limit N]\n";

int Fail(const std::string& message) {
  std::cerr << "kinglet-demo-app: " << message << "\n";
  return 1;
}

bool ReadText(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

int64_t Label(const kinglet::Tensor& labels, int64_t i) {
  switch (labels.dtype()) {
    case kinglet::DataType::kInt64: return labels.data<int64_t>()[i];
    case kinglet::DataType::kInt32: return labels.data<int32_t>()[i];
    case kinglet::DataType::kUint8: return labels.data<uint8_t>()[i];
    default: return -1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  kinglet::sdk::ClientConfig config;
  std::string key_file, model_name;
  std::vector<std::string> files;
  int64_t limit = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string text;
    bool ok = true;
    if (arg == "--server") ok = value(&config.server_url);
    else if (arg == "--public-key") ok = value(&key_file);
    else if (arg == "--model") ok = value(&model_name);
    else if (arg == "--cache") ok = value(&config.cache_dir);
    else if (arg == "--device-class") ok = value(&config.device_class);
    else if (arg == "--limit") ok = value(&text) && (limit = std::atoll(text.c_str())) > 0;
    else if (arg == "--help" || arg == "-h") return std::cout << kUsage, 0;
    else if (arg.rfind("--", 0) == 0) ok = false;
    else files.push_back(arg);
    if (!ok) return std::cerr << "kinglet-demo-app: bad option " << arg << "\n" << kUsage, 2;
  }
  if (config.server_url.empty() || key_file.empty() || model_name.empty() || config.cache_dir.empty() ||
      files.empty() || files.size() > 2) {
    return std::cerr << kUsage, 2;
  }
  std::string pem;
  if (!ReadText(key_file, &pem)) return Fail("cannot read the public key '" + key_file + "'");
  config.public_keys_pem.push_back(pem);
  config.on_error = [](const std::string& model, const kinglet::Status& error) {
    std::cerr << "kinglet-demo-app: (absorbed) " << (model.empty() ? "" : model + ": ") << error.ToString() << "\n";
  };

  auto images = kinglet::ReadNpy(files[0]);
  if (!images.ok()) return Fail(images.status().ToString());
  if (images->dtype() != kinglet::DataType::kFloat32 || images->shape().empty()) {
    return Fail("IMAGES.npy must hold float32 [N, ...] images");
  }
  kinglet::Tensor labels;
  if (files.size() == 2) {
    auto read = kinglet::ReadNpy(files[1]);
    if (!read.ok()) return Fail(read.status().ToString());
    labels = std::move(*read);
    if (labels.shape().size() != 1 || labels.shape()[0] != images->shape()[0]) {
      return Fail("LABELS.npy must hold one integer label per image");
    }
  }
  const int64_t n = limit > 0 ? std::min(limit, images->shape()[0]) : images->shape()[0];

  auto client = kinglet::sdk::Client::Create(config);
  if (!client.ok()) return Fail(client.status().ToString());
  auto model = (*client)->Model(model_name);
  if (!model.ok()) return Fail(model.status().ToString());

  // Loading now (rather than at the first Run) tells us the input's name.
  const auto fetch_start = std::chrono::steady_clock::now();
  const kinglet::Status loaded = (*model)->Prefetch();
  const double fetch_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - fetch_start).count();
  if (!loaded.ok()) return Fail(loaded.ToString());
  const std::string input_name = (*model)->info().inputs.at(0).name;

  // One image at a time, as an app classifying what the camera sees would.
  kinglet::Shape one = images->shape();
  one[0] = 1;
  const int64_t per_image = kinglet::ElementCount(one);
  std::vector<kinglet::NamedTensor> outputs;
  int64_t correct = 0;
  std::vector<double> latencies;
  for (int64_t i = 0; i < n; ++i) {
    float* pixels = images->data<float>() + i * per_image;
    const std::vector<kinglet::NamedTensor> inputs = {
        {input_name, kinglet::Tensor::View(kinglet::DataType::kFloat32, one, pixels)}};
    const auto t0 = std::chrono::steady_clock::now();
    const kinglet::Status ran = (*model)->Run(inputs, &outputs);
    latencies.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (!ran.ok()) return Fail("image " + std::to_string(i) + ": " + ran.ToString());
    const kinglet::Tensor& scores = outputs[0].tensor;
    const float* s = scores.data<float>();
    const int64_t best = std::max_element(s, s + scores.element_count()) - s;
    if (files.size() == 2 && best == Label(labels, i)) ++correct;
  }
  const kinglet::sdk::ModelInfo info = (*model)->info();
  std::sort(latencies.begin() + 1, latencies.end());
  std::printf("model %s version %u (%s, %llu bytes, sha256 %.16s...)%s\n", info.name.c_str(), info.version,
              info.device_class.c_str(), static_cast<unsigned long long>(info.size), info.sha256.c_str(),
              info.from_cache_fallback ? " from the cache: the server could not be used" : "");
  std::printf("first run (plans the session): %.3f ms; later runs: median %.3f ms\n", latencies[0],
              latencies.size() > 1 ? latencies[1 + (latencies.size() - 1) / 2] : latencies[0]);
  std::printf("fetched and loaded in %.1f ms; classified %lld images; downloaded %llu bytes\n", fetch_ms,
              static_cast<long long>(n),
              static_cast<unsigned long long>(info.downloaded_bytes));
  if (files.size() == 2) {
    std::printf("accuracy %.2f%% (%lld/%lld)\n", 100.0 * static_cast<double>(correct) / static_cast<double>(n),
                static_cast<long long>(correct), static_cast<long long>(n));
  }
  const kinglet::Status flushed = (*client)->Flush();
  if (!flushed.ok()) return Fail("telemetry was not delivered: " + flushed.ToString());
  std::printf("telemetry delivered (device %s)\n", (*client)->device_id().c_str());
  return 0;
}
