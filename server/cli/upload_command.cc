// `kinglet upload`: streams a model and its evaluation data to kingletd (resuming after a
// dropped connection), then follows the compression jobs to the end unless --no-wait.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/admin_client.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "common/file_io.h"
#include "common/sha256.h"

namespace kinglet::cli {
namespace {

namespace pb = ::kinglet::admin::v1;

constexpr size_t kChunkBytes = 1 << 20;
constexpr int kMaxAttempts = 5;

struct LocalFile {
  pb::FileRole role;
  std::string path;
  uint64_t size = 0;
  std::string sha256;
};

Result<LocalFile> Describe(pb::FileRole role, const std::string& path) {
  KINGLET_ASSIGN_OR_RETURN(const uint64_t size, server::FileSize(path));
  if (size == 0) return Status::InvalidArgument(path + " is empty");
  KINGLET_ASSIGN_OR_RETURN(std::string sha256, server::Sha256File(path));
  return LocalFile{role, path, size, std::move(sha256)};
}

// "12.3/45.6 MiB  3.2 MiB/s  ETA 10 s" on one self-overwriting stderr line (only on a terminal).
class ProgressBar {
 public:
  explicit ProgressBar(uint64_t total) : total_(total), start_(std::chrono::steady_clock::now()), tty_(isatty(2)) {}
  void Update(uint64_t done, uint64_t resumed_from) {
    if (!tty_) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = seconds > 0 ? (done - resumed_from) / seconds : 0;
    const double eta = rate > 0 ? (total_ - done) / rate : 0;
    std::fprintf(stderr, "\r  uploading %.1f/%.1f MiB  %.1f MiB/s  ETA %.0f s   ", done / 1048576.0,
                 total_ / 1048576.0, rate / 1048576.0, eta);
  }
  void Finish() {
    if (tty_) std::fprintf(stderr, "\n");
  }

 private:
  uint64_t total_;
  std::chrono::steady_clock::time_point start_;
  bool tty_;
};

// One attempt: start (or resume) the upload and send every byte the server does not have.
grpc::Status SendOnce(AdminClient& client, const pb::UploadStart& start, const std::vector<LocalFile>& files,
                      ProgressBar& bar, pb::UploadResponse* response) {
  // What the server already holds (nothing for a fresh id).
  std::vector<uint64_t> offsets(files.size(), 0);
  pb::GetUploadRequest ask;
  ask.set_upload_id(start.upload_id());
  pb::UploadState state;
  const grpc::Status known = client.stub().GetUpload(client.Context(30).get(), ask, &state);
  if (known.ok()) {
    for (const pb::FileProgress& p : state.files()) {
      for (size_t i = 0; i < files.size(); ++i) {
        if (files[i].role == p.role()) offsets[i] = p.received();
      }
    }
  } else if (known.error_code() != grpc::StatusCode::NOT_FOUND) {
    return known;
  }
  uint64_t done = 0, total_resumed = 0;
  for (uint64_t o : offsets) total_resumed += o;
  done = total_resumed;

  auto ctx = client.Context(0);
  auto writer = client.stub().Upload(ctx.get(), response);
  pb::UploadRequest request;
  *request.mutable_start() = start;
  if (!writer->Write(request)) return writer->Finish();
  std::string buffer(kChunkBytes, '\0');
  for (size_t i = 0; i < files.size(); ++i) {
    std::ifstream in(files[i].path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offsets[i]));
    uint64_t offset = offsets[i];
    while (offset < files[i].size) {
      in.read(buffer.data(), static_cast<std::streamsize>(std::min<uint64_t>(kChunkBytes, files[i].size - offset)));
      const size_t n = static_cast<size_t>(in.gcount());
      if (n == 0) return grpc::Status(grpc::StatusCode::ABORTED, files[i].path + " changed while uploading");
      pb::UploadChunk* chunk = request.mutable_chunk();
      chunk->set_role(files[i].role);
      chunk->set_offset(offset);
      chunk->set_data(buffer.data(), n);
      if (!writer->Write(request)) return writer->Finish();
      offset += n;
      done += n;
      bar.Update(done, total_resumed);
    }
  }
  writer->WritesDone();
  return writer->Finish();
}

bool Retryable(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE || s.error_code() == grpc::StatusCode::ABORTED ||
         s.error_code() == grpc::StatusCode::INTERNAL || s.error_code() == grpc::StatusCode::CANCELLED;
}

// Streams job updates until each job finishes; returns how many failed (or -1 on a lost server).
int FollowJobs(AdminClient& client, const pb::UploadResponse& upload) {
  int failed = 0;
  for (const pb::Job& queued : upload.jobs()) {
    pb::WatchJobRequest request;
    request.set_id(queued.id());
    pb::Job job = queued;
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      auto ctx = client.Context(0);
      auto reader = client.stub().WatchJob(ctx.get(), request);
      std::string last;
      while (reader->Read(&job)) {
        const std::string line = "  job " + std::to_string(job.id()) + " " + job.device_class() + ": " +
                                 (job.state() == pb::JOB_STATE_RUNNING
                                      ? job.stage() + " " + FormatFixed(100 * job.progress(), 0) + "%"
                                      : std::string(job.state() == pb::JOB_STATE_QUEUED ? "queued" : ""));
        if (line != last && isatty(2)) std::fprintf(stderr, "\r%-70s", line.c_str());
        last = line;
      }
      const grpc::Status status = reader->Finish();
      if (status.ok()) break;
      if (!Retryable(status)) {
        std::cerr << "\nkinglet upload: watching job " << job.id() << ": " << status.error_message() << "\n";
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1 << attempt));
    }
    if (isatty(2)) std::fprintf(stderr, "\r%-70s\r", "");
    if (job.state() == pb::JOB_STATE_SUCCEEDED) {
      std::cout << "job " << job.id() << " " << job.device_class() << ": done" << (job.message().empty() ? "" : " (")
                << job.message() << (job.message().empty() ? "" : ")") << "\n";
    } else {
      ++failed;
      std::cout << "job " << job.id() << " " << job.device_class() << ": failed: " << job.message() << "\n";
    }
  }
  return failed;
}

}  // namespace

int UploadCommand(const std::vector<std::string>& argv) {
  const std::string usage =
      "kinglet upload MODEL.onnx --name NAME --eval X.npy [Y.npy] [--calib C.npy] [--max-drop PP] [--no-wait]";
  auto args = Args::Parse(argv, {"--name", "--eval", "--labels", "--calib", "--max-drop", "--upload-id"},
                          {"--no-wait", "--help"});
  if (!args.ok()) return UsageError("upload", args.status().message() + "\nusage: " + usage);
  if (args->Has("--help")) {
    std::cout << "usage: " << usage
              << "\n\nUploads the model and its evaluation data (labels optional: without them accuracy is agreement\n"
                 "with the original model), makes a new version and waits for its compression jobs.\n"
                 "A dropped upload resumes automatically; --upload-id ID resumes one from an earlier run.\n";
    return kExitOk;
  }
  const auto& pos = args->positional();
  if (pos.empty() || pos.size() > 2 || !args->Has("--name") || !args->Has("--eval")) {
    return UsageError("upload", "usage: " + usage);
  }
  double max_drop = 0.5;
  if (args->Has("--max-drop")) {
    char* end = nullptr;
    max_drop = std::strtod(args->Get("--max-drop").c_str(), &end);
    if (*end != '\0' || !(max_drop >= 0 && max_drop <= 100)) return UsageError("upload", "--max-drop must be 0..100");
  }
  auto connection = ResolveConnection();
  if (!connection.ok()) return UsageError("upload", connection.status().message());

  std::vector<std::pair<pb::FileRole, std::string>> wanted = {{pb::FILE_ROLE_MODEL, pos[0]},
                                                              {pb::FILE_ROLE_EVAL_INPUTS, args->Get("--eval")}};
  const std::string labels = args->Has("--labels") ? args->Get("--labels") : (pos.size() == 2 ? pos[1] : "");
  if (!labels.empty()) wanted.push_back({pb::FILE_ROLE_EVAL_LABELS, labels});
  if (args->Has("--calib")) wanted.push_back({pb::FILE_ROLE_CALIBRATION, args->Get("--calib")});
  std::vector<LocalFile> files;
  uint64_t total = 0;
  for (const auto& [role, path] : wanted) {
    auto f = Describe(role, path);
    if (!f.ok()) return Fail("upload", f.status());
    total += f->size;
    files.push_back(*f);
  }

  pb::UploadStart start;
  start.set_upload_id(args->Has("--upload-id") ? args->Get("--upload-id") : server::RandomHex(16));
  start.set_model(args->Get("--name"));
  start.set_max_drop_pp(max_drop);
  for (const LocalFile& f : files) {
    pb::UploadFile* out = start.add_files();
    out->set_role(f.role);
    out->set_size(f.size);
    out->set_sha256(f.sha256);
  }

  AdminClient client(*connection);
  ProgressBar bar(total);
  pb::UploadResponse response;
  grpc::Status status;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    status = SendOnce(client, start, files, bar, &response);
    if (status.ok() || !Retryable(status)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500 << attempt));
  }
  bar.Finish();
  if (!status.ok()) {
    const int code = FailRpc("upload", status, connection->server);
    if (Retryable(status)) std::cerr << "  resume with: kinglet upload ... --upload-id " << start.upload_id() << "\n";
    return code;
  }
  std::cout << "uploaded " << response.model() << " version " << response.version() << " (" << FormatBytes(total)
            << "); " << response.jobs_size() << " compression job(s) queued\n";
  if (args->Has("--no-wait")) return kExitOk;
  const int failed = FollowJobs(client, response);
  if (failed < 0) return kExitUnreachable;
  return failed == 0 ? kExitOk : kExitError;
}

}  // namespace kinglet::cli
