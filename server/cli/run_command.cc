#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <numeric>

#include "cli/args.h"
#include "cli/commands.h"
#include "kinglet/model.h"
#include "kinglet/npy.h"
#include "kinglet/session.h"

namespace kinglet::cli {

namespace {
constexpr char kHelp[] =
    "usage: kinglet run MODEL.kgl --input X.npy [--input NAME=X.npy ...] [--output Y.npy]\n"
    "                  [--top K] [--threads N]\n"
    "\n"
    "Runs the model once. A model with one input takes --input FILE; otherwise name each input\n"
    "(--input NAME=FILE). Prints each output: the top-K classes per row for [N, C] outputs\n"
    "(default K = 5), else its shape and first values. --output writes the first output as\n"
    "float32 .npy.\n";

void PrintOutput(const NamedTensor& out, int top_k) {
  const Tensor& t = out.tensor;
  std::cout << out.name << ": " << DataTypeName(t.dtype()) << " " << ShapeToString(t.shape()) << "\n";
  if (t.dtype() == DataType::kFloat32 && t.shape().size() == 2 && t.shape()[1] > 1) {
    const int64_t rows = t.shape()[0], cols = t.shape()[1];
    const int k = static_cast<int>(std::min<int64_t>(top_k, cols));
    std::vector<int64_t> order(cols);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = t.data<float>() + r * cols;
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        [row](int64_t a, int64_t b) { return row[a] > row[b]; });
      std::cout << "  row " << r << ": top-" << k << "";
      for (int i = 0; i < k; ++i) std::cout << "  " << order[i] << " (" << std::setprecision(5) << row[order[i]] << ")";
      std::cout << "\n";
    }
    return;
  }
  const int64_t n = std::min<int64_t>(t.element_count(), 16);
  std::cout << "  ";
  for (int64_t i = 0; i < n; ++i) {
    if (t.dtype() == DataType::kFloat32) std::cout << std::setprecision(6) << t.data<float>()[i] << " ";
    else if (t.dtype() == DataType::kInt64) std::cout << t.data<int64_t>()[i] << " ";
  }
  std::cout << (t.element_count() > n ? "...\n" : "\n");
}
}  // namespace

int RunCommand(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"--input", "--output", "--top", "--threads"}, {"--help", "-h"});
  if (!args.ok()) return UsageError("run", args.status().message());
  if (args->Has("--help") || args->Has("-h")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args->positional().size() != 1) return UsageError("run", "expected exactly one MODEL.kgl");
  if (!args->Has("--input")) return UsageError("run", "missing --input X.npy");
  auto top = args->GetInt("--top", 5, 1, 1000);
  if (!top.ok()) return UsageError("run", top.status().message());
  auto threads = args->GetInt("--threads", 1, 0, 256);
  if (!threads.ok()) return UsageError("run", threads.status().message());

  auto model = Model::LoadFile(args->positional()[0]);
  if (!model.ok()) return Fail("run", model.status());
  std::vector<NamedTensor> inputs;
  for (const std::string& spec : args->GetAll("--input")) {
    std::string name, path = spec;
    const size_t eq = spec.find('=');
    if (eq != std::string::npos) {
      name = spec.substr(0, eq);
      path = spec.substr(eq + 1);
    } else if ((*model)->inputs().size() == 1) {
      name = (*model)->inputs()[0].name;
    } else {
      return UsageError("run", "the model has several inputs; pass --input NAME=FILE for each");
    }
    auto tensor = ReadNpy(path);
    if (!tensor.ok()) return Fail("run", tensor.status());
    inputs.push_back({name, *tensor});
  }
  auto session = Session::Create(*model, SessionOptions{*threads});
  if (!session.ok()) return Fail("run", session.status());
  std::vector<NamedTensor> outputs;
  Status s = (*session)->Run(inputs, &outputs);
  if (!s.ok()) return Fail("run", s);
  for (const NamedTensor& out : outputs) PrintOutput(out, *top);

  if (args->Has("--output")) {
    const Tensor& first = outputs.at(0).tensor;
    if (first.dtype() != DataType::kFloat32) {
      return Fail("run", Status::Unsupported("--output writes float32; the first output is " +
                                             std::string(DataTypeName(first.dtype()))));
    }
    auto bytes = SerializeNpy(first);
    if (!bytes.ok()) return Fail("run", bytes.status());
    std::ofstream f(args->Get("--output"), std::ios::binary);
    f.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    if (!f) return Fail("run", Status::IOError("cannot write '" + args->Get("--output") + "'"));
  }
  return kExitOk;
}

}  // namespace kinglet::cli
