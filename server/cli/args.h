// A small argv parser for the `kinglet` subcommands: positionals plus --flag [value].
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "kinglet/status.h"

namespace kinglet::cli {

// Exit codes are a public contract (documented in README).
constexpr int kExitOk = 0;
constexpr int kExitError = 1;  // the command ran and failed (bad model, I/O, ...)
constexpr int kExitUsage = 2;  // the command line itself is wrong

class Args {
 public:
  // `value_flags` take a value ("--output y.npy"); `switches` do not ("--json").
  static Result<Args> Parse(const std::vector<std::string>& argv, const std::set<std::string>& value_flags,
                            const std::set<std::string>& switches);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::string Get(const std::string& flag, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& flag) const;
  Result<int> GetInt(const std::string& flag, int fallback, int min, int max) const;

 private:
  std::vector<std::string> positional_;
  std::multimap<std::string, std::string> values_;
};

// Prints "kinglet <command>: <message>" to stderr and returns kExitError (or kExitUsage).
int Fail(const std::string& command, const Status& status);
int UsageError(const std::string& command, const std::string& message);

}  // namespace kinglet::cli
