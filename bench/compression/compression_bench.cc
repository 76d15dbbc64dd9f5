// bench/compression: how small xqueeze makes the Fashion-MNIST models, and at what accuracy,
// beside peers measured in the same run on the same model: gzip -9 and zstd -19 of the ONNX
// file (lossless) and plain int8 per-channel weights (Kinglet's own int8 encoding, no pruning).
//
//   build/bench/compression_bench [--max-drop PP] [--models lenet300,lenet5,firenet] [--calib N]
//
// Evaluation: the 10,000 Fashion-MNIST test images; calibration: the first N (default 10,000)
// training images, unlabelled (Debian's dataset-fashion-mnist). Each model's per-layer choices
// and the time xqueeze took follow the table.
#include <zlib.h>
#include <zstd.h>

#include <chrono>
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
  int64_t calib_rows = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--max-drop") max_drop = std::atof(argv[i + 1]);
    if (flag == "--models") models = Split(argv[i + 1]);
    if (flag == "--calib") calib_rows = std::atoll(argv[i + 1]);
  }
  kinglet::Tensor x, y, calib, unused;
  std::string error;
  if (!kinglet::testing::LoadFashionMnist("t10k", 10000, &x, &y, &error) ||
      !kinglet::testing::LoadFashionMnist("train", calib_rows, &calib, &unused, &error)) {
    std::fprintf(stderr, "compression_bench: %s\n", error.c_str());
    return 1;
  }
  std::printf("max drop %.2f pp; evaluation 10,000 Fashion-MNIST test images; calibration %lld training images\n\n",
              max_drop, static_cast<long long>(calib_rows));
  std::printf("%-10s %-10s %10s %9s %9s %9s\n", "model", "method", "bytes", "ratio", "acc", "drop pp");
  std::string details;
  for (const std::string& name : models) {
    const std::string path = std::string(KINGLET_FIXTURES_DIR) + "/" + name + ".onnx";
    const std::string onnx = ReadFile(path);
    if (onnx.empty()) {
      std::fprintf(stderr, "compression_bench: cannot read %s\n", path.c_str());
      return 1;
    }
    kinglet::compression::CompressOptions options;
    options.max_drop_pp = max_drop;
    options.calibration_rows = calib_rows;
    const auto start = std::chrono::steady_clock::now();
    auto xq = kinglet::compression::Compress(path, x, y, calib, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto int8 = kinglet::compression::QuantizeInt8Only(path, x, y);
    if (!xq.ok() || !int8.ok()) {
      std::fprintf(stderr, "compression_bench: %s: %s\n", name.c_str(),
                   (!xq.ok() ? xq.status() : int8.status()).ToString().c_str());
      return 1;
    }
    const auto& r = xq->report;
    const double before = 100 * r.accuracy_before;
    auto row = [&](const char* method, size_t bytes, double acc) {
      std::printf("%-10s %-10s %10zu %8.2fx %8.2f%% %9.2f\n", name.c_str(), method, bytes,
                  double(onnx.size()) / bytes, acc, before - acc);
    };
    row("onnx fp32", onnx.size(), before);
    row("gzip -9", GzipSize(onnx), before);
    row("zstd -19", ZstdSize(onnx), before);
    row("int8", int8->report.compressed_bytes, 100 * int8->report.accuracy_after);
    row("xqueeze", r.compressed_bytes, 100 * r.accuracy_after);
    std::fflush(stdout);
    if (!r.met_budget) std::printf("%-10s xqueeze missed the budget: %s\n", name.c_str(), r.note.c_str());
    char line[256];
    std::snprintf(line, sizeof line, "%s: xqueeze took %.0f s; neuron pruning removed %lld channels (%lld weights)\n  %-24s %9s %9s %5s  %-26s %9s\n", name.c_str(),
                  seconds, static_cast<long long>(r.channels_removed), static_cast<long long>(r.parameters_removed),
                  "layer", "params", "sparsity", "bits", "encoding", "bytes");
    details += line;
    for (const auto& l : r.layers) {
      std::snprintf(line, sizeof line, "  %-24s %9lld %8.1f%% %5d  %-26s %9zu\n", l.name.c_str(),
                    static_cast<long long>(l.parameters), 100 * l.sparsity, l.bits, l.encoding.c_str(),
                    l.stored_bytes);
      details += line;
      for (const std::string& stream : l.streams) details += "    " + stream + "\n";
    }
  }
  std::printf("\n%s", details.c_str());
  return 0;
}
