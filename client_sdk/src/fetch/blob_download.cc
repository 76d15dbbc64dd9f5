#include "fetch/blob_download.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/files.h"

namespace kinglet::sdk {
namespace {

// Appends the body of a 200 or 206 to the partial file; anything else is read into a small
// buffer for the error message.
class PartialFileSink {
 public:
  PartialFileSink(std::string path, uint64_t have, uint64_t size) : path_(std::move(path)), have_(have), size_(size) {}
  ~PartialFileSink() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status OnHead(const HttpResponse& head) {
    status_ = head.status;
    if (status_ == 206) {
      const auto range = head.headers.find("content-range");
      const std::string expect = "bytes " + std::to_string(have_) + "-";
      if (range == head.headers.end() || range->second.rfind(expect, 0) != 0) {
        ::unlink(path_.c_str());  // whatever we hold is not a prefix the server agrees with
        return Status::IOError("the server answered a resume from byte " + std::to_string(have_) +
                               " with another range; starting over");
      }
    } else if (status_ == 200) {
      have_ = 0;  // the server sent the whole blob: start the file again
    } else {
      return Status::Ok();
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || ::ftruncate(fd_, static_cast<off_t>(have_)) != 0 ||
        ::lseek(fd_, static_cast<off_t>(have_), SEEK_SET) < 0) {
      return Status::IOError("cannot write the download to '" + path_ + "': " + std::strerror(errno));
    }
    return Status::Ok();
  }

  Status OnBody(const char* data, size_t n) {
    if (fd_ < 0) {  // an error answer: keep its start for the message, never read it all
      error_body_.append(data, std::min<size_t>(n, 4096 - error_body_.size()));
      return error_body_.size() < 4096 ? Status::Ok() : Status::Cancelled("error body read far enough");
    }
    if (have_ + n > size_) {
      return Status::InvalidArgument("the server sent more than the " + std::to_string(size_) +
                                     " bytes the manifest promised");
    }
    for (size_t done = 0; done < n;) {
      const ssize_t w = ::write(fd_, data + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return Status::IOError("cannot write the download to '" + path_ + "': " + std::strerror(errno));
      done += static_cast<size_t>(w);
    }
    have_ += n;
    received_ += n;
    return Status::Ok();
  }

  Status Finish() {
    if (fd_ < 0) return Status::Ok();
    const int rc = ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
    return rc == 0 ? Status::Ok() : Status::IOError("cannot fsync '" + path_ + "'");
  }

  unsigned status() const { return status_; }
  uint64_t received() const { return received_; }
  const std::string& error_body() const { return error_body_; }

 private:
  std::string path_;
  uint64_t have_;
  uint64_t size_;
  int fd_ = -1;
  unsigned status_ = 0;
  uint64_t received_ = 0;
  std::string error_body_;
};

uint64_t SizeOrZero(const std::string& path) {
  auto size = FileSize(path);
  return size.ok() ? *size : 0;
}

}  // namespace

Status DownloadBlob(HttpClient& client, const Url& url, const std::string& sha256, uint64_t size,
                    const std::string& partial_path, const RetryPolicy& policy, DownloadStats* out) {
  DownloadStats& stats = *out;
  stats = DownloadStats();
  if (SizeOrZero(partial_path) > size) ::unlink(partial_path.c_str());
  const bool had_partial = SizeOrZero(partial_path) > 0;
  Status last = Status::Ok();
  bool restarted_after_mismatch = false;
  for (int attempt = 1; attempt <= std::max(1, policy.max_attempts); ++attempt) {
    const uint64_t have = SizeOrZero(partial_path);
    if (have < size) {
      BackOff(policy, attempt);
      ++stats.attempts;
      stats.resumed_from = std::max(stats.resumed_from, have);
      HttpRequest request;
      request.url = url;
      if (have > 0) request.headers.push_back({"Range", "bytes=" + std::to_string(have) + "-"});
      PartialFileSink file(partial_path, have, size);
      auto response = client.Send(
          request, size, [&file](const char* d, size_t n) { return file.OnBody(d, n); },
          [&file](const HttpResponse& head) { return file.OnHead(head); });
      const Status finished = file.Finish();
      stats.bytes_received += file.received();
      if (!response.ok() && response.status().code() == StatusCode::kCancelled && file.error_body().size() >= 4096) {
        response = HttpResponse{file.status(), {}, {}};  // an error answer cut short on purpose
      }
      if (!response.ok()) {
        last = response.status();
        if (last.code() == StatusCode::kInvalidArgument) {  // overlong: the file is not this blob
          ::unlink(partial_path.c_str());
          return last;
        }
        continue;  // a cut connection keeps its bytes for the next attempt
      }
      if (!finished.ok()) return finished;
      if (file.status() == 416) {  // our partial file is not a prefix the server knows
        ::unlink(partial_path.c_str());
        last = Status::IOError("the server refused to resume the download; starting over");
        continue;
      }
      if (file.status() == 404) return Status::NotFound("the server has no blob " + sha256 + " (404)");
      if (file.status() != 200 && file.status() != 206) {
        last = Status::IOError("blob download from " + url.host + " answered HTTP " + std::to_string(file.status()) +
                               ": " + file.error_body().substr(0, 200));
        if (!IsRetryableStatus(file.status())) return last;
        continue;
      }
      if (SizeOrZero(partial_path) < size) {
        last = Status::IOError("the blob download ended early; resuming");
        continue;
      }
    }
    KINGLET_ASSIGN_OR_RETURN(std::string actual, Sha256OfFile(partial_path));
    if (actual == sha256) return Status::Ok();
    ::unlink(partial_path.c_str());
    // A partial file from an earlier run could be what is wrong: try once from scratch.
    if (had_partial && !restarted_after_mismatch) {
      restarted_after_mismatch = true;
      continue;
    }
    return Status::Corruption("the downloaded blob hashes to " + actual + ", not to " + sha256 +
                              " as the signed manifest says; refusing it");
  }
  return last.ok() ? Status::IOError("blob download failed") : last;
}

}  // namespace kinglet::sdk
