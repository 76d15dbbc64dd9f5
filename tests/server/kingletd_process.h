// A real kingletd as a child process on free loopback ports with its own data directory, and
// the real `kinglet` CLI against it, for end-to-end tests.
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/free_port.h"
#include "kinglet/admin/v1/admin.grpc.pb.h"

namespace kinglet::testing {


struct Outcome {
  int code = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command; its exit code and its stdout and stderr together.
Outcome Shell(const std::string& command);

class Kingletd {
 public:
  // The daemon and CLI binaries are given by the test target (KINGLETD_PATH, KINGLET_CLI_PATH).
  explicit Kingletd(std::string data_dir, std::vector<std::string> extra_flags = {});
  ~Kingletd() { Kill(9); }

  // Starts the daemon and waits (up to 30 s) until its admin port answers.
  void Start();
  // Replaces the default device classes by one, "test-x86" (x86_64, profile low), which this
  // machine matches: each upload then makes one quick job. False if the CLI refused.
  bool UseOneTestClass();
  void Kill(int signal);

  std::string Token() const;
  Outcome Cli(const std::string& args, const std::string& token = "") const;
  nlohmann::json CliJson(const std::string& args) const;
  std::unique_ptr<::kinglet::admin::v1::Admin::Stub> Stub() const;
  std::unique_ptr<grpc::ClientContext> Context() const;

  const std::string& data_dir() const { return data_dir_; }
  const std::string& http() const { return http_; }  // HOST:PORT
  const std::string& grpc() const { return grpc_; }

 private:
  std::string data_dir_;
  std::vector<std::string> extra_flags_;
  std::string grpc_;
  std::string http_;
  pid_t pid_ = -1;
};

}  // namespace kinglet::testing
