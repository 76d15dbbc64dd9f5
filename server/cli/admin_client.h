// How the admin commands reach kingletd: the server address and token come from --server /
// --token (global flags), else KINGLET_SERVER / KINGLET_TOKEN, else the file `kinglet login`
// wrote ($XDG_CONFIG_HOME/kinglet/config.json or ~/.config/kinglet/config.json, mode 0600).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "kinglet/admin/v1/admin.grpc.pb.h"
#include "kinglet/status.h"

namespace kinglet::cli {

// Admin-command exit codes beyond kExitOk/kExitError/kExitUsage (documented in README).
constexpr int kExitUnreachable = 3;    // no server at the address
constexpr int kExitUnauthorized = 4;   // the token was refused

// Global flags given before the command name.
struct GlobalFlags {
  std::string server;
  std::string token;
};
GlobalFlags& Globals();

struct Connection {
  std::string server;
  std::string token;
};

std::string LoginConfigPath();
// Resolves server and token; FailedPrecondition naming the ways to set them when either is missing.
Result<Connection> ResolveConnection();

class AdminClient {
 public:
  explicit AdminClient(const Connection& connection);
  ::kinglet::admin::v1::Admin::Stub& stub() { return *stub_; }
  // A context carrying the token, with a deadline (0 = none).
  std::unique_ptr<grpc::ClientContext> Context(int deadline_seconds = 30) const;
  const std::string& server() const { return connection_.server; }

 private:
  Connection connection_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::kinglet::admin::v1::Admin::Stub> stub_;
};

// Prints "kinglet <command>: <message>" and returns the exit code for a failed call.
int FailRpc(const std::string& command, const grpc::Status& status, const std::string& server);

// Seconds since the epoch as "2026-11-25 14:03" (UTC); "-" for 0.
std::string FormatTime(uint64_t unix_seconds);

}  // namespace kinglet::cli
