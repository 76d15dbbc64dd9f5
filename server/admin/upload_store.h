// Uploads in progress: <dir>/<upload id>/plan.json (what the client announced) and one .part
// file per announced file. A dropped connection loses nothing that reached the disk: the next
// Upload call with the same id resumes where each .part file ends.
//
// Thread-safe for different upload ids; the admin service serialises calls for one id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kinglet/status.h"

namespace kinglet::server {

enum class UploadRole { kModel = 1, kEvalInputs = 2, kEvalLabels = 3, kCalibration = 4 };

const char* UploadRoleName(UploadRole role);

struct UploadFileSpec {
  UploadRole role = UploadRole::kModel;
  uint64_t size = 0;
  std::string sha256;
};

struct UploadPlan {
  std::string upload_id;
  std::string model;
  double max_drop_pp = 0.5;
  std::vector<UploadFileSpec> files;

  const UploadFileSpec* Find(UploadRole role) const;
};

class UploadStore {
 public:
  UploadStore(std::string dir, uint64_t max_upload_bytes);

  // Checks ids, names, the budget, the roles (model and eval inputs required, each at most
  // once), sizes (non-zero, total within the limit) and hashes (64 hex digits).
  Status Validate(const UploadPlan& plan) const;
  // Starts the upload, or resumes it when `plan` equals the stored one (FailedPrecondition if
  // the id is in use for different files).
  Status Begin(const UploadPlan& plan);
  Result<UploadPlan> Load(const std::string& upload_id) const;
  // Bytes received so far of one file.
  Result<uint64_t> Received(const std::string& upload_id, UploadRole role) const;
  // Appends `data` at `offset`, which must be what Received returns; the file may not grow past
  // its announced size. The file is fsynced when it is complete.
  Status Append(const std::string& upload_id, const UploadFileSpec& file, uint64_t offset, std::string_view data);
  std::string PartPath(const std::string& upload_id, UploadRole role) const;
  Status Remove(const std::string& upload_id);
  // Removes uploads untouched for `max_age_seconds` (abandoned ones); returns how many.
  int RemoveStale(int64_t max_age_seconds);

 private:
  std::string DirOf(const std::string& upload_id) const { return dir_ + "/" + upload_id; }

  std::string dir_;
  uint64_t max_upload_bytes_;
};

}  // namespace kinglet::server
