// bench/compression: how small xqueeze makes the Fashion-MNIST models, and at what accuracy,
// beside peers measured in the same run on the same model: gzip -9 and zstd -19 of the ONNX
// file (lossless) and plain int8 per-channel weights (Kinglet's own int8 encoding, no pruning).
//
//   build/bench/compression_bench [--max-drop PP] [--models lenet300,lenet5,firenet]
//
// Evaluation: the 10,000 Fashion-MNIST test images; calibration: the first 1,000 training
// images (Debian's dataset-fashion-mnist).
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/fashion_mnist.h"
#include "kinglet/compression/compress.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

size_t GzipSize(const std::string& bytes) {
  uLongf size = compressBound(bytes.size());
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(&out[0]), &size, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size(),
                9) != Z_OK) {
    return 0;
  }
  return size;
}

size_t ZstdSize(const std::string& bytes) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  const size_t n = ZSTD_compress(&out[0], out.size(), bytes.data(), bytes.size(), 19);
  return ZSTD_isError(n) ? 0 : n;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  double max_drop = 0.5;
  std::vector<std::string> models = {"lenet300", "lenet5", "firenet"};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--max-drop") max_drop = std::atof(argv[i + 1]);
    if (flag == "--models") models = Split(argv[i + 1]);
  }
  kinglet::Tensor x, y, calib, unused;
  std::string error;
  if (!kinglet::testing::LoadFashionMnist("t10k", 10000, &x, &y, &error) ||
      !kinglet::testing::LoadFashionMnist("train", 1000, &calib, &unused, &error)) {
    std::fprintf(stderr, "compression_bench: %s\n", error.c_str());
    return 1;
  }
  std::printf("max drop %.2f pp; evaluation 10,000 Fashion-MNIST test images; calibration 1,000 training images\n\n",
              max_drop);
  std::printf("%-10s %-10s %10s %8s %9s %9s\n", "model", "method", "bytes", "ratio", "acc", "drop pp");
  for (const std::string& name : models) {
    const std::string path = std::string(KINGLET_FIXTURES_DIR) + "/" + name + ".onnx";
    const std::string onnx = ReadFile(path);
    if (onnx.empty()) {
      std::fprintf(stderr, "compression_bench: cannot read %s\n", path.c_str());
      return 1;
    }
    kinglet::compression::CompressOptions options;
    options.max_drop_pp = max_drop;
    auto xq = kinglet::compression::Compress(path, x, y, calib, options);
    auto int8 = kinglet::compression::QuantizeInt8Only(path, x, y);
    if (!xq.ok() || !int8.ok()) {
      std::fprintf(stderr, "compression_bench: %s: %s\n", name.c_str(),
                   (!xq.ok() ? xq.status() : int8.status()).ToString().c_str());
      return 1;
    }
    const auto& r = xq->report;
    const double before = 100 * r.accuracy_before;
    auto row = [&](const char* method, size_t bytes, double acc) {
      std::printf("%-10s %-10s %10zu %7.1fx %8.2f%% %9.2f\n", name.c_str(), method, bytes,
                  double(onnx.size()) / bytes, acc, before - acc);
    };
    row("onnx fp32", onnx.size(), before);
    row("gzip -9", GzipSize(onnx), before);
    row("zstd -19", ZstdSize(onnx), before);
    row("int8", int8->report.compressed_bytes, 100 * int8->report.accuracy_after);
    row("xqueeze", r.compressed_bytes, 100 * r.accuracy_after);
    if (!r.met_budget) std::printf("%-10s xqueeze missed the budget: %s\n", name.c_str(), r.note.c_str());
  }
  return 0;
}
