// The admin commands that read or change the catalog: login, models, model, jobs, telemetry,
// device-classes, rollout, rollback, delete. Human tables by default, --json for scripts.
#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/admin_client.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "common/file_io.h"

namespace kinglet::cli {
namespace {

namespace pb = ::kinglet::admin::v1;

void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json;
}

const char* StateName(pb::JobState s) {
  switch (s) {
    case pb::JOB_STATE_QUEUED: return "queued";
    case pb::JOB_STATE_RUNNING: return "running";
    case pb::JOB_STATE_SUCCEEDED: return "succeeded";
    case pb::JOB_STATE_FAILED: return "failed";
    default: return "?";
  }
}

std::string Percent(double fraction) { return FormatFixed(100.0 * fraction, 2) + "%"; }

// Parses the command's flags (plus --json) and connects; returns false after printing an error.
struct Invocation {
  Args args;
  std::unique_ptr<AdminClient> client;
  int exit_code = kExitOk;
};

Invocation Begin(const std::string& command, const std::vector<std::string>& argv,
                 const std::set<std::string>& value_flags, size_t positionals, const std::string& usage,
                 std::set<std::string> switches = {}) {
  Invocation inv;
  switches.insert({"--json", "--help"});
  auto args = Args::Parse(argv, value_flags, switches);
  if (!args.ok()) {
    inv.exit_code = UsageError(command, args.status().message() + "\nusage: " + usage);
    return inv;
  }
  if (args->Has("--help")) {
    std::cout << "usage: " << usage << "\n";
    inv.exit_code = -1;  // done, successfully
    return inv;
  }
  if (args->positional().size() != positionals) {
    inv.exit_code = UsageError(command, "usage: " + usage);
    return inv;
  }
  auto connection = ResolveConnection();
  if (!connection.ok()) {
    inv.exit_code = UsageError(command, connection.status().message());
    return inv;
  }
  inv.args = std::move(*args);
  inv.client = std::make_unique<AdminClient>(*connection);
  return inv;
}

int Done(const Invocation& inv) { return inv.exit_code == -1 ? kExitOk : inv.exit_code; }

}  // namespace

int LoginCommand(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"--server", "--token"}, {"--help"});
  if (!args.ok()) return UsageError("login", args.status().message());
  if (args->Has("--help")) {
    std::cout << "usage: kinglet login --server HOST:PORT --token TOKEN\n\nChecks the token against the server and "
                 "keeps both in "
              << LoginConfigPath() << " (mode 0600).\n";
    return kExitOk;
  }
  if (args->Has("--server")) Globals().server = args->Get("--server");
  if (args->Has("--token")) Globals().token = args->Get("--token");
  auto connection = ResolveConnection();
  if (!connection.ok()) return UsageError("login", connection.status().message());
  AdminClient client(*connection);
  pb::ListDeviceClassesResponse response;
  const grpc::Status status = client.stub().ListDeviceClasses(client.Context(10).get(), {}, &response);
  if (!status.ok()) return FailRpc("login", status, connection->server);
  const std::string path = LoginConfigPath();
  const Status made = server::MakeDirectories(server::ParentDirectory(path), 0700);
  const Status written =
      made.ok() ? server::WriteFileAtomically(
                      path, nlohmann::json{{"server", connection->server}, {"token", connection->token}}.dump(2) + "\n",
                      0600)
                : made;
  if (!written.ok()) return Fail("login", written);
  std::cout << "logged in to " << connection->server << " (saved in " << path << ")\n";
  return kExitOk;
}

int ModelsCommand(const std::vector<std::string>& argv) {
  Invocation inv = Begin("models", argv, {}, 0, "kinglet models [--json]");
  if (!inv.client) return Done(inv);
  pb::ListModelsResponse response;
  const grpc::Status status = inv.client->stub().ListModels(inv.client->Context().get(), {}, &response);
  if (!status.ok()) return FailRpc("models", status, inv.client->server());
  if (inv.args.Has("--json")) {
    PrintJson(response);
    return kExitOk;
  }
  Table table({"MODEL", "LATEST", "STABLE", "CREATED"});
  for (const pb::ModelSummary& m : response.models()) {
    table.Add({m.name(), std::to_string(m.latest_version()),
               m.stable_version() ? std::to_string(m.stable_version()) : "-", FormatTime(m.created())});
  }
  table.Print(std::cout);
  return kExitOk;
}

int ModelCommand(const std::vector<std::string>& argv) {
  Invocation inv = Begin("model", argv, {}, 1, "kinglet model NAME [--json]");
  if (!inv.client) return Done(inv);
  pb::GetModelRequest request;
  request.set_name(inv.args.positional()[0]);
  pb::Model response;
  const grpc::Status status = inv.client->stub().GetModel(inv.client->Context().get(), request, &response);
  if (!status.ok()) return FailRpc("model", status, inv.client->server());
  if (inv.args.Has("--json")) {
    PrintJson(response);
    return kExitOk;
  }
  const pb::Rollout& r = response.rollout();
  std::cout << "model " << response.name() << ": stable version "
            << (r.stable_version() ? std::to_string(r.stable_version()) : "none");
  if (r.canary_version()) std::cout << ", version " << r.canary_version() << " to " << r.percent() << "% of devices";
  std::cout << " (serial " << r.serial() << ")\n\n";
  Table table({"VERSION", "CLASS", "JOB", "SIZE", "RATIO", "ACC BEFORE", "ACC AFTER", "LATENCY", "SHA256"});
  for (const pb::Version& v : response.versions()) {
    for (const pb::Artifact& a : v.artifacts()) {
      const bool done = a.job().state() == pb::JOB_STATE_SUCCEEDED;
      std::string job = StateName(a.job().state());
      if (a.job().state() == pb::JOB_STATE_RUNNING) job += " " + a.job().stage() + " " + Percent(a.job().progress());
      table.Add({std::to_string(v.version()), a.device_class(), job, done ? FormatBytes(a.size_bytes()) : "-",
                 done ? FormatFixed(a.compression_ratio(), 1) + "x" : "-", done ? Percent(a.accuracy_before()) : "-",
                 done ? Percent(a.accuracy_after()) : "-", done ? FormatFixed(a.latency_ms(), 3) + " ms" : "-",
                 done ? a.sha256().substr(0, 12) : "-"});
    }
  }
  table.Print(std::cout);
  return kExitOk;
}

int JobsCommand(const std::vector<std::string>& argv) {
  Invocation inv = Begin("jobs", argv, {"--model"}, 0, "kinglet jobs [--model NAME] [--all] [--json]", {"--all"});
  if (!inv.client) return Done(inv);
  const Args* args = &inv.args;
  pb::ListJobsRequest request;
  request.set_model(args->Get("--model"));
  request.set_include_finished(args->Has("--all"));
  pb::ListJobsResponse response;
  const grpc::Status status = inv.client->stub().ListJobs(inv.client->Context().get(), request, &response);
  if (!status.ok()) return FailRpc("jobs", status, inv.client->server());
  if (args->Has("--json")) {
    PrintJson(response);
    return kExitOk;
  }
  Table table({"ID", "MODEL", "VERSION", "CLASS", "STATE", "STAGE", "PROGRESS", "ATTEMPTS", "MESSAGE"});
  for (const pb::Job& j : response.jobs()) {
    table.Add({std::to_string(j.id()), j.model(), std::to_string(j.version()), j.device_class(), StateName(j.state()),
               j.stage().empty() ? "-" : j.stage(), FormatFixed(100 * j.progress(), 0) + "%",
               std::to_string(j.attempts()), j.message()});
  }
  table.Print(std::cout);
  return kExitOk;
}

int DeviceClassesCommand(const std::vector<std::string>& argv) {
  const std::string usage =
      "kinglet device-classes [--json]\n"
      "       kinglet device-classes put NAME --profile low|mid|high [--isa arm64|armv7|x86_64] "
      "[--feature F]... [--min-ram-mib N]\n"
      "       kinglet device-classes delete NAME";
  const std::string verb = argv.empty() || argv[0].rfind("--", 0) == 0 ? "list" : argv[0];
  std::vector<std::string> rest(argv.begin() + (verb == "list" ? 0 : 1), argv.end());
  if (verb == "put") {
    Invocation inv = Begin("device-classes", rest, {"--profile", "--isa", "--feature", "--min-ram-mib"}, 1, usage);
    if (!inv.client) return Done(inv);
    pb::DeviceClass request;
    request.set_name(inv.args.positional()[0]);
    request.set_profile(inv.args.Get("--profile"));
    request.set_isa(inv.args.Get("--isa"));
    for (const std::string& f : inv.args.GetAll("--feature")) request.add_cpu_features(f);
    auto ram = inv.args.GetInt("--min-ram-mib", 0, 0, 1 << 24);
    if (!ram.ok()) return UsageError("device-classes", ram.status().message());
    request.set_min_ram_mib(static_cast<uint32_t>(*ram));
    pb::DeviceClass response;
    const grpc::Status status = inv.client->stub().PutDeviceClass(inv.client->Context().get(), request, &response);
    if (!status.ok()) return FailRpc("device-classes", status, inv.client->server());
    std::cout << "device class " << response.name() << " saved\n";
    return kExitOk;
  }
  if (verb == "delete") {
    Invocation inv = Begin("device-classes", rest, {}, 1, usage);
    if (!inv.client) return Done(inv);
    pb::DeleteDeviceClassRequest request;
    request.set_name(inv.args.positional()[0]);
    pb::DeleteDeviceClassResponse response;
    const grpc::Status status = inv.client->stub().DeleteDeviceClass(inv.client->Context().get(), request, &response);
    if (!status.ok()) return FailRpc("device-classes", status, inv.client->server());
    std::cout << "device class " << request.name() << " deleted\n";
    return kExitOk;
  }
  if (verb != "list") return UsageError("device-classes", "unknown action '" + verb + "'\nusage: " + usage);
  Invocation inv = Begin("device-classes", rest, {}, 0, usage);
  if (!inv.client) return Done(inv);
  pb::ListDeviceClassesResponse response;
  const grpc::Status status = inv.client->stub().ListDeviceClasses(inv.client->Context().get(), {}, &response);
  if (!status.ok()) return FailRpc("device-classes", status, inv.client->server());
  if (inv.args.Has("--json")) {
    PrintJson(response);
    return kExitOk;
  }
  Table table({"NAME", "ISA", "FEATURES", "MIN RAM", "PROFILE"});
  for (const pb::DeviceClass& d : response.device_classes()) {
    std::string features;
    for (const std::string& f : d.cpu_features()) features += (features.empty() ? "" : ",") + f;
    table.Add({d.name(), d.isa().empty() ? "any" : d.isa(), features.empty() ? "-" : features,
               d.min_ram_mib() ? std::to_string(d.min_ram_mib()) + " MiB" : "-", d.profile()});
  }
  table.Print(std::cout);
  return kExitOk;
}

namespace {

int PrintRollout(const Args& args, const pb::Rollout& r) {
  if (args.Has("--json")) {
    PrintJson(r);
    return kExitOk;
  }
  std::cout << r.model() << ": stable version " << (r.stable_version() ? std::to_string(r.stable_version()) : "none");
  if (r.canary_version()) std::cout << ", version " << r.canary_version() << " to " << r.percent() << "%";
  std::cout << " (serial " << r.serial() << ")\n";
  return kExitOk;
}

}  // namespace

int RolloutCommand(const std::vector<std::string>& argv) {
  Invocation inv = Begin("rollout", argv, {"--version", "--percent"}, 1,
                         "kinglet rollout MODEL --version N [--percent P (default 100)] [--json]");
  if (!inv.client) return Done(inv);
  auto version = inv.args.GetInt("--version", 0, 1, 1 << 30);
  auto percent = inv.args.GetInt("--percent", 100, 1, 100);
  if (!inv.args.Has("--version")) return UsageError("rollout", "--version is required");
  if (!version.ok()) return UsageError("rollout", version.status().message());
  if (!percent.ok()) return UsageError("rollout", percent.status().message());
  pb::SetRolloutRequest request;
  request.set_model(inv.args.positional()[0]);
  request.set_version(static_cast<uint32_t>(*version));
  request.set_percent(static_cast<uint32_t>(*percent));
  pb::Rollout response;
  const grpc::Status status = inv.client->stub().SetRollout(inv.client->Context().get(), request, &response);
  if (!status.ok()) return FailRpc("rollout", status, inv.client->server());
  return PrintRollout(inv.args, response);
}

int RollbackCommand(const std::vector<std::string>& argv) {
  Invocation inv = Begin("rollback", argv, {}, 1, "kinglet rollback MODEL [--json]");
  if (!inv.client) return Done(inv);
  pb::RollbackRequest request;
  request.set_model(inv.args.positional()[0]);
  pb::Rollout response;
  const grpc::Status status = inv.client->stub().Rollback(inv.client->Context().get(), request, &response);
  if (!status.ok()) return FailRpc("rollback", status, inv.client->server());
  return PrintRollout(inv.args, response);
}

int DeleteCommand(const std::vector<std::string>& argv) {
  Invocation inv = Begin("delete", argv, {"--version"}, 1, "kinglet delete MODEL --version N");
  if (!inv.client) return Done(inv);
  auto version = inv.args.GetInt("--version", 0, 1, 1 << 30);
  if (!inv.args.Has("--version") || !version.ok()) return UsageError("delete", "--version N (>= 1) is required");
  pb::DeleteVersionRequest request;
  request.set_model(inv.args.positional()[0]);
  request.set_version(static_cast<uint32_t>(*version));
  pb::DeleteVersionResponse response;
  const grpc::Status status = inv.client->stub().DeleteVersion(inv.client->Context().get(), request, &response);
  if (!status.ok()) return FailRpc("delete", status, inv.client->server());
  std::cout << "deleted version " << request.version() << " of " << request.model() << "\n";
  return kExitOk;
}

int TelemetryCommand(const std::vector<std::string>& argv) {
  Invocation inv = Begin("telemetry", argv, {"--hours"}, 1, "kinglet telemetry MODEL [--hours N] [--json]");
  if (!inv.client) return Done(inv);
  auto hours = inv.args.GetInt("--hours", 24, 1, 24 * 365);
  if (!hours.ok()) return UsageError("telemetry", hours.status().message());
  pb::GetTelemetryRequest request;
  request.set_model(inv.args.positional()[0]);
  request.set_hours(static_cast<uint32_t>(*hours));
  pb::TelemetryReport response;
  const grpc::Status status = inv.client->stub().GetTelemetry(inv.client->Context().get(), request, &response);
  if (!status.ok()) return FailRpc("telemetry", status, inv.client->server());
  if (inv.args.Has("--json")) {
    PrintJson(response);
    return kExitOk;
  }
  if (response.rows().empty()) {
    std::cout << "no telemetry for " << response.model() << " in the last " << *hours << " h\n";
    return kExitOk;
  }
  auto ms = [](double seconds) { return FormatFixed(seconds * 1000, 3); };
  Table table({"VERSION", "CLASS", "RUNS", "P50 MS", "P90 MS", "P99 MS", "MEAN MS", "ERRORS", "LOADS", "FETCHES",
               "FETCH P50 S", "FETCH KB", "CACHE FALLBACKS"});
  for (const pb::TelemetryRow& r : response.rows()) {
    table.Add({std::to_string(r.version()), r.device_class(), std::to_string(r.runs()), ms(r.p50_seconds()),
               ms(r.p90_seconds()), ms(r.p99_seconds()), ms(r.mean_seconds()),
               std::to_string(r.run_errors() + r.load_errors() + r.fetch_errors()), std::to_string(r.loads()),
               std::to_string(r.fetches()), FormatFixed(r.fetch_p50_seconds(), 3),
               FormatFixed(static_cast<double>(r.fetch_bytes()) / 1024, 1), std::to_string(r.cache_fallbacks())});
  }
  table.Print(std::cout);
  return kExitOk;
}

}  // namespace kinglet::cli
