#include <iomanip>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "kinglet/compression/evaluate.h"
#include "kinglet/model.h"
#include "kinglet/npy.h"

namespace kinglet::cli {

namespace {
constexpr char kHelp[] =
    "usage: kinglet eval MODEL.kgl X.npy Y.npy [--threads N]\n"
    "\n"
    "Runs every row of X (float32 [N, ...]) and prints the top-1 accuracy of the model's first\n"
    "output against the integer labels Y ([N], int64 or int32).\n";
}  // namespace

int EvalCommand(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"--threads"}, {"--help", "-h"});
  if (!args.ok()) return UsageError("eval", args.status().message());
  if (args->Has("--help") || args->Has("-h")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args->positional().size() != 3) return UsageError("eval", "expected MODEL.kgl X.npy Y.npy");
  auto threads = args->GetInt("--threads", 1, 0, 256);
  if (!threads.ok()) return UsageError("eval", threads.status().message());
  auto model = Model::LoadFile(args->positional()[0]);
  if (!model.ok()) return Fail("eval", model.status());
  auto x = ReadNpy(args->positional()[1]);
  if (!x.ok()) return Fail("eval", x.status());
  auto y = ReadNpy(args->positional()[2]);
  if (!y.ok()) return Fail("eval", y.status());
  auto result = compression::EvaluateTop1(*model, *x, *y, *threads);
  if (!result.ok()) return Fail("eval", result.status());
  std::cout << "top-1 accuracy: " << std::fixed << std::setprecision(2) << 100.0 * result->accuracy() << "% ("
            << result->correct << " / " << result->examples << ")\n";
  return kExitOk;
}

}  // namespace kinglet::cli
