#include <iomanip>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "ir/graph.h"
#include "kinglet/model.h"

namespace kinglet::cli {

namespace {
constexpr char kHelp[] =
    "usage: kinglet inspect MODEL.kgl\n"
    "\n"
    "Prints the artifact's inputs and outputs, op counts, constant tensors, parameter count\n"
    "and stored bytes by encoding.\n";

void PrintSpecs(const char* title, const std::vector<TensorSpec>& specs) {
  std::cout << title << ":\n";
  for (const TensorSpec& s : specs) {
    std::cout << "  " << s.name << "  " << DataTypeName(s.dtype) << " " << ShapeToString(s.shape) << "\n";
  }
}
}  // namespace

int InspectCommand(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {}, {"--help", "-h"});
  if (!args.ok()) return UsageError("inspect", args.status().message());
  if (args->Has("--help") || args->Has("-h")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args->positional().size() != 1) return UsageError("inspect", "expected exactly one MODEL.kgl");
  auto model = Model::LoadFile(args->positional()[0]);
  if (!model.ok()) return Fail("inspect", model.status());
  const ir::Graph& g = (*model)->graph();
  const ModelStats stats = (*model)->Stats();

  std::cout << "model: " << args->positional()[0] << "\n";
  for (const auto& [k, v] : g.metadata) std::cout << "  " << k << ": " << v << "\n";
  std::cout << "  opset: " << g.opset << "\n";
  PrintSpecs("inputs", (*model)->inputs());
  PrintSpecs("outputs", (*model)->outputs());
  std::cout << "ops (" << g.nodes.size() << " nodes):\n";
  for (const auto& [op, count] : stats.op_counts) std::cout << "  " << std::setw(20) << std::left << op << count << "\n";
  std::cout << "tensors (" << stats.constant_count << " constants):\n";
  for (const auto& [index, tensor] : g.constants) {
    // Stored form as read from the artifact: encoding name and bytes in the file.
    auto stored = g.constant_storage.find(index);
    const bool known = stored != g.constant_storage.end();
    std::cout << "  " << g.values[index].name << "  " << DataTypeName(tensor.dtype()) << " "
              << ShapeToString(tensor.shape()) << "  " << (known ? stored->second.name : "dense") << "  "
              << (known ? stored->second.stored_bytes : tensor.byte_size()) << " B";
    if (known && stored->second.stored_bytes != tensor.byte_size()) {
      std::cout << " (" << tensor.byte_size() << " B decoded)";
    }
    std::cout << "\n";
  }
  std::cout << "parameters: " << stats.parameter_count << "\n";
  std::cout << "bytes by encoding:\n";
  for (const auto& [enc, bytes] : stats.bytes_by_encoding) std::cout << "  " << enc << ": " << bytes << "\n";
  return kExitOk;
}

}  // namespace kinglet::cli
