#include "cli/args.h"

#include <cstdlib>
#include <iostream>

namespace kinglet::cli {

Result<Args> Args::Parse(const std::vector<std::string>& argv, const std::set<std::string>& value_flags,
                         const std::set<std::string>& switches) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string flag = a, value;
      const size_t eq = a.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        flag = a.substr(0, eq);
        value = a.substr(eq + 1);
      }
      if (switches.count(flag)) {
        if (inline_value) return Status::InvalidArgument(flag + " takes no value");
        args.values_.emplace(flag, "");
      } else if (value_flags.count(flag)) {
        if (!inline_value) {
          if (i + 1 >= argv.size()) return Status::InvalidArgument(flag + " needs a value");
          value = argv[++i];
        }
        args.values_.emplace(flag, value);
      } else {
        return Status::InvalidArgument("unknown option " + flag);
      }
    } else {
      args.positional_.push_back(a);
    }
  }
  return args;
}

std::string Args::Get(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second;
}

std::vector<std::string> Args::GetAll(const std::string& flag) const {
  std::vector<std::string> out;
  auto range = values_.equal_range(flag);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

Result<int> Args::GetInt(const std::string& flag, int fallback, int min, int max) const {
  if (!Has(flag)) return fallback;
  const std::string v = Get(flag);
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < min || n > max) {
    return Status::InvalidArgument(flag + " must be an integer in [" + std::to_string(min) + ", " +
                                   std::to_string(max) + "], got '" + v + "'");
  }
  return static_cast<int>(n);
}

int Fail(const std::string& command, const Status& status) {
  std::cerr << "kinglet " << command << ": " << status.message() << "\n";
  return kExitError;
}

int UsageError(const std::string& command, const std::string& message) {
  std::cerr << "kinglet " << command << ": " << message << " (see kinglet " << command << " --help)\n";
  return kExitUsage;
}

}  // namespace kinglet::cli
