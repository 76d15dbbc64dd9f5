#include "kingletd_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "common/file_io.h"
#include "common/free_port.h"

namespace kinglet::testing {
namespace {

const std::string kDaemon = KINGLETD_PATH;
const std::string kCli = KINGLET_CLI_PATH;

}  // namespace


Outcome Shell(const std::string& command) {
  Outcome out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) out.output.append(buffer, n);
  const int status = ::pclose(p);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

Kingletd::Kingletd(std::string data_dir, std::vector<std::string> extra_flags)
    : data_dir_(std::move(data_dir)),
      extra_flags_(std::move(extra_flags)),
      grpc_("127.0.0.1:" + std::to_string(FreePort())),
      http_("127.0.0.1:" + std::to_string(FreePort())) {}

void Kingletd::Start() {
  pid_ = ::fork();
  if (pid_ == 0) {
    const int log = ::open((data_dir_ + ".log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(log, 1);
    ::dup2(log, 2);
    std::vector<std::string> args = {kDaemon, "--data-dir", data_dir_, "--grpc-listen", grpc_, "--http-listen", http_};
    args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(kDaemon.c_str(), argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Cli("models").code != 3) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "kingletd did not start; log:\n" << *server::ReadFile(data_dir_ + ".log");
}

bool Kingletd::UseOneTestClass() {
  bool ok = Cli("device-classes put test-x86 --profile low --isa x86_64").code == 0;
  for (const char* c : {"arm64-high", "arm64-low", "armv7-low", "x86-64"}) {
    ok = ok && Cli(std::string("device-classes delete ") + c).code == 0;
  }
  return ok;
}

void Kingletd::Kill(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string Kingletd::Token() const {
  std::string t = *server::ReadFile(data_dir_ + "/admin.token");
  return t.substr(0, t.find('\n'));
}

Outcome Kingletd::Cli(const std::string& args, const std::string& token) const {
  return Shell(kCli + " --server " + grpc_ + " --token " +
               (token.empty() ? (server::PathExists(data_dir_ + "/admin.token") ? Token() : "none") : token) + " " + args);
}

nlohmann::json Kingletd::CliJson(const std::string& args) const {
  const Outcome out = Cli(args + " --json");
  EXPECT_EQ(out.code, 0) << out.output;
  return nlohmann::json::parse(out.output, nullptr, false);
}

std::unique_ptr<::kinglet::admin::v1::Admin::Stub> Kingletd::Stub() const {
  return ::kinglet::admin::v1::Admin::NewStub(grpc::CreateChannel(grpc_, grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> Kingletd::Context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + Token());
  return ctx;
}

}  // namespace kinglet::testing
