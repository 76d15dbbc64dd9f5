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

}  // namespace kinglet::cli
