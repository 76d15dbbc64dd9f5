#include "cli/admin_client.h"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/args.h"

namespace kinglet::cli {

GlobalFlags& Globals() {
  static GlobalFlags flags;
  return flags;
}

std::string LoginConfigPath() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return std::string(xdg) + "/kinglet/config.json";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.config/kinglet/config.json";
}

Result<Connection> ResolveConnection() {
  Connection c{Globals().server, Globals().token};
  if (c.server.empty()) {
    if (const char* env = std::getenv("KINGLET_SERVER")) c.server = env;
  }
  if (c.token.empty()) {
    if (const char* env = std::getenv("KINGLET_TOKEN")) c.token = env;
  }
  if (c.server.empty() || c.token.empty()) {
    std::ifstream file(LoginConfigPath());
    if (file) {
      const nlohmann::json j = nlohmann::json::parse(file, nullptr, /*allow_exceptions=*/false);
      if (j.is_object()) {
        if (c.server.empty() && j.contains("server") && j["server"].is_string()) c.server = j["server"];
        if (c.token.empty() && j.contains("token") && j["token"].is_string()) c.token = j["token"];
      }
    }
  }
  if (c.server.empty()) {
    return Status::FailedPrecondition("no server: pass --server HOST:PORT, set KINGLET_SERVER or run `kinglet login`");
  }
  if (c.token.empty()) {
    return Status::FailedPrecondition("no admin token: pass --token, set KINGLET_TOKEN or run `kinglet login`");
  }
  return c;
}

AdminClient::AdminClient(const Connection& connection) : connection_(connection) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(8 << 20);
  channel_ = grpc::CreateCustomChannel(connection.server, grpc::InsecureChannelCredentials(), args);
  stub_ = ::kinglet::admin::v1::Admin::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> AdminClient::Context(int deadline_seconds) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + connection_.token);
  if (deadline_seconds > 0) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_seconds));
  }
  return ctx;
}

int FailRpc(const std::string& command, const grpc::Status& status, const std::string& server) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      std::cerr << "kinglet " << command << ": cannot reach kingletd at " << server << " (" << status.error_message()
                << "); is it running?\n";
      return kExitUnreachable;
    case grpc::StatusCode::UNAUTHENTICATED:
      std::cerr << "kinglet " << command << ": " << status.error_message() << "\n";
      return kExitUnauthorized;
    default:
      std::cerr << "kinglet " << command << ": " << status.error_message() << "\n";
      return kExitError;
  }
}

std::string FormatTime(uint64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M", &tm);
  return buffer;
}

}  // namespace kinglet::cli
