#include "admin/upload_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/file_io.h"
#include "common/names.h"
#include "common/sha256.h"

namespace kinglet::server {
namespace {

using nlohmann::json;

std::string PlanToJson(const UploadPlan& plan) {
  json files = json::array();
  for (const UploadFileSpec& f : plan.files) {
    files.push_back({{"role", static_cast<int>(f.role)}, {"size", f.size}, {"sha256", f.sha256}});
  }
  return json{{"upload_id", plan.upload_id}, {"model", plan.model}, {"max_drop_pp", plan.max_drop_pp},
              {"files", files}}
      .dump();
}

Result<UploadPlan> PlanFromJson(const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("upload plan is not JSON");
  UploadPlan plan;
  try {
    plan.upload_id = j.at("upload_id").get<std::string>();
    plan.model = j.at("model").get<std::string>();
    plan.max_drop_pp = j.at("max_drop_pp").get<double>();
    for (const json& f : j.at("files")) {
      plan.files.push_back({static_cast<UploadRole>(f.at("role").get<int>()), f.at("size").get<uint64_t>(),
                            f.at("sha256").get<std::string>()});
    }
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("upload plan: ") + e.what());
  }
  return plan;
}

bool SamePlan(const UploadPlan& a, const UploadPlan& b) { return PlanToJson(a) == PlanToJson(b); }

}  // namespace

const char* UploadRoleName(UploadRole role) {
  switch (role) {
    case UploadRole::kModel: return "model";
    case UploadRole::kEvalInputs: return "evaluation inputs";
    case UploadRole::kEvalLabels: return "evaluation labels";
    case UploadRole::kCalibration: return "calibration data";
  }
  return "unknown file";
}

const UploadFileSpec* UploadPlan::Find(UploadRole role) const {
  for (const UploadFileSpec& f : files) {
    if (f.role == role) return &f;
  }
  return nullptr;
}

UploadStore::UploadStore(std::string dir, uint64_t max_upload_bytes)
    : dir_(std::move(dir)), max_upload_bytes_(max_upload_bytes) {}

Status UploadStore::Validate(const UploadPlan& plan) const {
  KINGLET_RETURN_IF_ERROR(ValidateUploadId(plan.upload_id));
  KINGLET_RETURN_IF_ERROR(ValidateName(plan.model, "model name"));
  if (!(plan.max_drop_pp >= 0 && plan.max_drop_pp <= 100)) {
    return Status::InvalidArgument("max drop must be 0..100 percentage points");
  }
  uint64_t total = 0;
  bool seen[5] = {};
  for (const UploadFileSpec& f : plan.files) {
    const int role = static_cast<int>(f.role);
    if (role < 1 || role > 4) return Status::InvalidArgument("upload names a file of unknown role " + std::to_string(role));
    if (seen[role]) return Status::InvalidArgument(std::string("upload names the ") + UploadRoleName(f.role) + " twice");
    seen[role] = true;
    if (f.size == 0) return Status::InvalidArgument(std::string("the ") + UploadRoleName(f.role) + " file is empty");
    if (!IsSha256Hex(f.sha256)) {
      return Status::InvalidArgument(std::string("the ") + UploadRoleName(f.role) +
                                     " sha256 must be 64 lowercase hex digits");
    }
    if (f.size > max_upload_bytes_ || total + f.size > max_upload_bytes_) {
      return Status::ResourceExhausted("the upload is larger than this server's limit of " +
                                       std::to_string(max_upload_bytes_) + " bytes (max_upload_bytes in kingletd's config)");
    }
    total += f.size;
  }
  if (!seen[static_cast<int>(UploadRole::kModel)]) return Status::InvalidArgument("the upload has no model file");
  if (!seen[static_cast<int>(UploadRole::kEvalInputs)]) {
    return Status::InvalidArgument("the upload has no evaluation inputs (--eval X.npy [Y.npy]); they bound the accuracy loss");
  }
  return Status::Ok();
}

Status UploadStore::Begin(const UploadPlan& plan) {
  KINGLET_RETURN_IF_ERROR(Validate(plan));
  const std::string dir = DirOf(plan.upload_id);
  const std::string meta = dir + "/plan.json";
  if (PathExists(meta)) {
    KINGLET_ASSIGN_OR_RETURN(UploadPlan stored, Load(plan.upload_id));
    if (!SamePlan(stored, plan)) {
      return Status::FailedPrecondition("upload id " + plan.upload_id +
                                        " is in use for different files; start a new upload with a new id");
    }
    return Status::Ok();
  }
  KINGLET_RETURN_IF_ERROR(MakeDirectories(dir, 0700));
  return WriteFileAtomically(meta, PlanToJson(plan), 0600);
}

Result<UploadPlan> UploadStore::Load(const std::string& upload_id) const {
  KINGLET_RETURN_IF_ERROR(ValidateUploadId(upload_id));
  auto text = ReadFile(DirOf(upload_id) + "/plan.json");
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no upload " + upload_id + " on this server (finished, expired or never started)");
    }
    return text.status();
  }
  return PlanFromJson(*text);
}

std::string UploadStore::PartPath(const std::string& upload_id, UploadRole role) const {
  return DirOf(upload_id) + "/" + std::to_string(static_cast<int>(role)) + ".part";
}

Result<uint64_t> UploadStore::Received(const std::string& upload_id, UploadRole role) const {
  auto size = FileSize(PartPath(upload_id, role));
  if (!size.ok() && size.status().code() == StatusCode::kNotFound) return uint64_t{0};
  return size;
}

Status UploadStore::Append(const std::string& upload_id, const UploadFileSpec& file, uint64_t offset,
                           std::string_view data) {
  KINGLET_ASSIGN_OR_RETURN(const uint64_t have, Received(upload_id, file.role));
  if (offset != have) {
    return Status::FailedPrecondition(std::string("the ") + UploadRoleName(file.role) + " chunk starts at byte " +
                                      std::to_string(offset) + " but the server has " + std::to_string(have) +
                                      " bytes of it; resume from there");
  }
  if (data.size() > file.size - have) {
    return Status::InvalidArgument(std::string("the ") + UploadRoleName(file.role) + " is larger than the announced " +
                                   std::to_string(file.size) + " bytes");
  }
  const std::string path = PartPath(upload_id, file.role);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  size_t done = 0;
  Status status;
  while (done < data.size() && status.ok()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno != EINTR) status = Status::IOError("cannot write " + path + ": " + std::strerror(errno));
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (status.ok() && have + data.size() == file.size && ::fsync(fd) != 0) {
    status = Status::IOError("cannot fsync " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  if (!status.ok()) {
    // A short write would leave bytes the client thinks were lost: cut back to what we had.
    if (::truncate(path.c_str(), static_cast<off_t>(have)) != 0) status = status.WithContext("and truncate failed");
  }
  return status;
}

Status UploadStore::Remove(const std::string& upload_id) {
  KINGLET_RETURN_IF_ERROR(ValidateUploadId(upload_id));
  std::error_code error;
  std::filesystem::remove_all(DirOf(upload_id), error);
  if (error) return Status::IOError("cannot remove upload " + upload_id + ": " + error.message());
  return Status::Ok();
}

int UploadStore::RemoveStale(int64_t max_age_seconds) {
  namespace fs = std::filesystem;
  std::error_code error;
  int removed = 0;
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::seconds(max_age_seconds);
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, error)) {
    if (!entry.is_directory(error)) continue;
    // The newest file in the upload says when it was last touched.
    fs::file_time_type newest = fs::last_write_time(entry.path(), error);
    for (const fs::directory_entry& file : fs::directory_iterator(entry.path(), error)) {
      newest = std::max(newest, fs::last_write_time(file.path(), error));
    }
    if (newest < cutoff && ValidateUploadId(entry.path().filename().string()).ok()) {
      fs::remove_all(entry.path(), error);
      ++removed;
    }
  }
  return removed;
}

}  // namespace kinglet::server
