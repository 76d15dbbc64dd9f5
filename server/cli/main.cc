// `kinglet`: convert, inspect, run, evaluate, benchmark and compress models locally, and manage
// a kingletd server (upload, versions, jobs, device classes, rollouts).
#include <iostream>
#include <string>
#include <vector>

#include "cli/admin_client.h"
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
    {"login", kinglet::cli::LoginCommand, "check and remember a kingletd server and admin token"},
    {"upload", kinglet::cli::UploadCommand, "upload a model version and follow its compression jobs"},
    {"models", kinglet::cli::ModelsCommand, "list the server's models"},
    {"model", kinglet::cli::ModelCommand, "show a model's versions, artifacts and rollout"},
    {"jobs", kinglet::cli::JobsCommand, "list compression jobs"},
    {"device-classes", kinglet::cli::DeviceClassesCommand, "list, put or delete device classes"},
    {"rollout", kinglet::cli::RolloutCommand, "serve a version to a percentage of devices"},
    {"rollback", kinglet::cli::RollbackCommand, "undo the last rollout change"},
    {"delete", kinglet::cli::DeleteCommand, "delete a version that is not live"},
    {"telemetry", kinglet::cli::TelemetryCommand, "on-device latency percentiles, counts and errors of a model"},
};

void PrintHelp() {
  std::cout << "usage: kinglet [--server HOST:PORT] [--token TOKEN] <command> [options]\n\ncommands:\n";
  for (const Command& c : kCommands) std::cout << "  " << c.name << std::string(16 - std::string(c.name).size(), ' ') << c.summary << "\n";
  std::cout << "\n`kinglet <command> --help` describes each command. Server commands find the server and token in\n"
               "--server/--token, else KINGLET_SERVER/KINGLET_TOKEN, else the file `kinglet login` writes.\n"
               "exit codes: 0 success, 1 the command failed, 2 the command line is wrong,\n"
               "            3 the server cannot be reached, 4 the admin token was refused.\n";
}

}  // namespace

int main(int argc, char** argv) {
  // Global flags come before the command name.
  int first = 1;
  while (first + 1 < argc && (std::string(argv[first]) == "--server" || std::string(argv[first]) == "--token")) {
    (std::string(argv[first]) == "--server" ? kinglet::cli::Globals().server : kinglet::cli::Globals().token) =
        argv[first + 1];
    first += 2;
  }
  if (argc <= first) {
    PrintHelp();
    return kinglet::cli::kExitUsage;
  }
  const std::string name = argv[first];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintHelp();
    return kinglet::cli::kExitOk;
  }
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(std::vector<std::string>(argv + first + 1, argv + argc));
  }
  std::cerr << "kinglet: unknown command '" << name << "' (see kinglet --help)\n";
  return kinglet::cli::kExitUsage;
}
