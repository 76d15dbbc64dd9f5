// The `kinglet` subcommands. Each takes the arguments after its name and returns an exit code.
#pragma once

#include <string>
#include <vector>

namespace kinglet::cli {

int ConvertCommand(const std::vector<std::string>& argv);
int InspectCommand(const std::vector<std::string>& argv);
int RunCommand(const std::vector<std::string>& argv);
int EvalCommand(const std::vector<std::string>& argv);
int BenchCommand(const std::vector<std::string>& argv);
int CompressCommand(const std::vector<std::string>& argv);

// Admin commands (talk to kingletd over gRPC; see cli/admin_client.h for --server/--token).
int LoginCommand(const std::vector<std::string>& argv);
int UploadCommand(const std::vector<std::string>& argv);
int ModelsCommand(const std::vector<std::string>& argv);
int ModelCommand(const std::vector<std::string>& argv);
int JobsCommand(const std::vector<std::string>& argv);
int DeviceClassesCommand(const std::vector<std::string>& argv);
int RolloutCommand(const std::vector<std::string>& argv);
int RollbackCommand(const std::vector<std::string>& argv);
int DeleteCommand(const std::vector<std::string>& argv);
int TelemetryCommand(const std::vector<std::string>& argv);

}  // namespace kinglet::cli
