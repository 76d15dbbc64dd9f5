#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "kinglet/compression/kgl_writer.h"
#include "kinglet/compression/onnx_importer.h"
#include "kinglet/model.h"
#include "kinglet/session.h"
#include "passes/pipeline.h"

namespace kinglet::cli {

namespace {
constexpr char kHelp[] =
    "usage: kinglet convert MODEL.onnx -o MODEL.kgl [--optimize]\n"
    "\n"
    "Imports an ONNX model (opsets 7-17; checked and shape-inferred with libonnx) and writes a\n"
    "dense float32 .kgl artifact. Fails, naming the node, op and opset, if the model uses\n"
    "anything the engine cannot run.\n"
    "\n"
    "  -o, --output FILE   where to write the artifact (written atomically)\n"
    "  --optimize          apply xqueeze's lossless network transforms first: Identity/Dropout\n"
    "                      removal, constant folding, BatchNorm folding, activation fusion,\n"
    "                      dead-node removal (weights stay dense float32)\n";
}  // namespace

int ConvertCommand(const std::vector<std::string>& argv_in) {
  std::vector<std::string> argv = argv_in;
  for (auto& a : argv) {
    if (a == "-o") a = "--output";
    if (a == "-h") a = "--help";
  }
  auto args = Args::Parse(argv, {"--output"}, {"--help", "--optimize"});
  if (!args.ok()) return UsageError("convert", args.status().message());
  if (args->Has("--help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args->positional().size() != 1) return UsageError("convert", "expected exactly one MODEL.onnx");
  if (!args->Has("--output")) return UsageError("convert", "missing -o MODEL.kgl");

  auto graph = compression::ImportOnnxFile(args->positional()[0]);
  if (!graph.ok()) return Fail("convert", graph.status());
  if (args->Has("--optimize")) {
    Status transformed = compression::passes::RunTransformPasses(&*graph);
    if (!transformed.ok()) return Fail("convert", transformed);
  }
  auto bytes = compression::SerializeKgl(*graph);
  if (!bytes.ok()) return Fail("convert", bytes.status());
  // Load what we wrote and plan it once with the declared shapes (free dims = 1), so an op the
  // engine cannot prepare fails here, not on a phone.
  auto model = Model::LoadBuffer(bytes->data(), bytes->size());
  if (!model.ok()) return Fail("convert", model.status());
  std::vector<NamedTensor> inputs;
  for (const TensorSpec& spec : (*model)->inputs()) {
    Shape shape = spec.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    inputs.push_back({spec.name, Tensor(spec.dtype, shape)});
  }
  auto session = Session::Create(*model);
  if (!session.ok()) return Fail("convert", session.status());
  std::vector<NamedTensor> outputs;
  Status trial = (*session)->Run(inputs, &outputs);
  if (!trial.ok()) return Fail("convert", trial);
  Status s = compression::WriteKglFile(*graph, args->Get("--output"));
  if (!s.ok()) return Fail("convert", s);
  const ModelStats stats = (*model)->Stats();
  std::cout << "wrote " << args->Get("--output") << ": " << bytes->size() << " bytes, " << graph->nodes.size()
            << " nodes, " << stats.parameter_count << " parameters\n";
  return kExitOk;
}

}  // namespace kinglet::cli
