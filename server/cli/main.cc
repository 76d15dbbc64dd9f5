// `kinglet`: convert, inspect, run, evaluate and benchmark models from the command line.
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"convert", kinglet::cli::ConvertCommand, "convert an ONNX model to a .kgl artifact"},
    {"inspect", kinglet::cli::InspectCommand, "show a .kgl artifact's ops, tensors and sizes"},
    {"run", kinglet::cli::RunCommand, "run a .kgl model on a .npy input"},
    {"eval", kinglet::cli::EvalCommand, "top-1 accuracy of a .kgl model on .npy data and labels"},
    {"bench", kinglet::cli::BenchCommand, "time a .kgl model (median, p10, p90)"},
    {"compress", kinglet::cli::CompressCommand, "compress an ONNX model within an accuracy budget"},
};

void PrintHelp() {
  std::cout << "usage: kinglet <command> [options]\n\ncommands:\n";
  for (const Command& c : kCommands) std::cout << "  " << c.name << std::string(10 - std::string(c.name).size(), ' ') << c.summary << "\n";
  std::cout << "\n`kinglet <command> --help` describes each command.\n"
               "exit codes: 0 success, 1 the command failed, 2 the command line is wrong.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintHelp();
    return kinglet::cli::kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintHelp();
    return kinglet::cli::kExitOk;
  }
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::cerr << "kinglet: unknown command '" << name << "' (see kinglet --help)\n";
  return kinglet::cli::kExitUsage;
}
