#include <cstdio>
#include <iomanip>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "kinglet/compression/atomic_file.h"
#include "kinglet/compression/compress.h"
#include "kinglet/compression/kgl_writer.h"
#include "kinglet/npy.h"

namespace kinglet::cli {

namespace {
constexpr char kHelp[] =
    "usage: kinglet compress MODEL.onnx -o MODEL.kgl --eval X.npy [Y.npy] [--calib C.npy]\n"
    "                       [--max-drop PP] [--profile low|mid|high] [--int8]\n"
    "\n"
    "Compresses an ONNX model (BN folding and fusion, pruning with layer-wise reconstruction,\n"
    "k-means weight sharing, Huffman coding) as far as the accuracy budget allows. The engine\n"
    "measures top-1 accuracy on X (float32 [N, ...]) against labels Y (int [N]); without Y,\n"
    "agreement with the uncompressed model's predictions. --calib gives calibration inputs\n"
    "(default: X). The drop never exceeds --max-drop (percentage points, default 0.5) on X;\n"
    "if nothing compressed fits, the best artifact found is written and the report says so.\n"
    "\n"
    "  --int8   instead: the transforms, then every Conv/Gemm/MatMul weight quantized to int8 per\n"
    "           output channel and nothing else — the artifact whose fully connected layers the\n"
    "           engine runs with its int8 kernels. The report gives its accuracy; no budget.\n";

// Writes the final report table.
void PrintReport(const compression::CompressReport& r) {
  std::cout << std::fixed << std::setprecision(2);
  std::cout << "\nlayer                         params   sparsity  bits  encoding                    bytes\n";
  for (const auto& l : r.layers) {
    std::cout << std::left << std::setw(28) << l.name.substr(0, 27) << std::right << std::setw(9) << l.parameters
              << std::setw(9) << 100 * l.sparsity << "%" << std::setw(6) << l.bits << "  " << std::left
              << std::setw(26) << l.encoding << std::right << std::setw(8) << l.stored_bytes << "\n";
  }
  std::cout << "\nentropy-coded streams (bits per symbol):\n";
  for (const auto& l : r.layers) {
    for (const std::string& line : l.streams) std::cout << "  " << l.name << " " << line << "\n";
  }
  if (r.channels_removed > 0) {
    std::cout << "neuron pruning: " << r.channels_removed << " neurons/channels removed with " << r.parameters_removed
              << " weights\n";
  }
  const char* metric = r.has_labels ? "top-1 accuracy" : "agreement with the original";
  std::cout << "\nsize: " << r.onnx_bytes << " B (ONNX) -> " << r.compressed_bytes << " B, ratio " << r.ratio()
            << "x (dense .kgl " << r.dense_kgl_bytes << " B)\n"
            << metric << ": " << 100 * r.accuracy_before << "% -> " << 100 * r.accuracy_after << "% (drop "
            << r.drop_pp << " pp)\n";
  if (!r.met_budget) std::cout << "budget NOT met: " << r.note << "\n";
}
}  // namespace

int CompressCommand(const std::vector<std::string>& argv_in) {
  std::vector<std::string> argv = argv_in;
  for (auto& a : argv) {
    if (a == "-o") a = "--output";
    if (a == "-h") a = "--help";
  }
  // --eval takes one or two files; gather the second positional that follows it.
  std::vector<std::string> rest;
  std::string eval_x, eval_y;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--eval") {
      if (i + 1 >= argv.size()) return UsageError("compress", "--eval needs X.npy [Y.npy]");
      eval_x = argv[++i];
      if (i + 1 < argv.size() && argv[i + 1].rfind("--", 0) != 0 && argv[i + 1].size() > 4 &&
          argv[i + 1].compare(argv[i + 1].size() - 4, 4, ".npy") == 0) {
        eval_y = argv[++i];
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  auto args = Args::Parse(rest, {"--output", "--calib", "--max-drop", "--profile"}, {"--help", "--quiet", "--int8"});
  if (!args.ok()) return UsageError("compress", args.status().message());
  if (args->Has("--help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args->positional().size() != 1) return UsageError("compress", "expected exactly one MODEL.onnx");
  if (!args->Has("--output")) return UsageError("compress", "missing -o MODEL.kgl");
  if (eval_x.empty()) return UsageError("compress", "missing --eval X.npy [Y.npy]");

  compression::CompressOptions options;
  if (args->Has("--max-drop")) {
    char* end = nullptr;
    const std::string v = args->Get("--max-drop");
    options.max_drop_pp = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(options.max_drop_pp >= 0) || options.max_drop_pp > 100) {
      return UsageError("compress", "--max-drop must be a number of percentage points in [0, 100]");
    }
  }
  auto profile = compression::ParseProfile(args->Get("--profile", "high"));
  if (!profile.ok()) return UsageError("compress", profile.status().message());
  options.profile = *profile;
  if (!args->Has("--quiet")) {
    options.progress = [](const std::string& stage, double f) {
      std::fprintf(stderr, "\r%-12s %5.1f%%", stage.c_str(), 100 * f);
      if (stage == "done") std::fprintf(stderr, "\n");
      std::fflush(stderr);
    };
  }
  auto x = ReadNpy(eval_x);
  if (!x.ok()) return Fail("compress", x.status());
  Tensor y;
  if (!eval_y.empty()) {
    auto labels = ReadNpy(eval_y);
    if (!labels.ok()) return Fail("compress", labels.status());
    y = *labels;
  }
  Tensor calib = *x;
  if (args->Has("--calib")) {
    auto c = ReadNpy(args->Get("--calib"));
    if (!c.ok()) return Fail("compress", c.status());
    calib = *c;
  }
  if (args->Has("--int8")) {
    auto int8 = compression::QuantizeInt8Only(args->positional()[0], *x, y);
    if (!int8.ok()) return Fail("compress", int8.status());
    Status written = compression::WriteFileAtomically(args->Get("--output"), int8->kgl);
    if (!written.ok()) return Fail("compress", written);
    PrintReport(int8->report);
    std::cout << "wrote " << args->Get("--output") << "\n";
    return kExitOk;
  }
  auto result = compression::Compress(args->positional()[0], *x, y, calib, options);
  if (!result.ok()) return Fail("compress", result.status());
  Status s = compression::WriteFileAtomically(args->Get("--output"), result->kgl);
  if (!s.ok()) return Fail("compress", s);
  PrintReport(result->report);
  std::cout << "wrote " << args->Get("--output") << "\n";
  return result->report.met_budget ? kExitOk : kExitError;
}

}  // namespace kinglet::cli
