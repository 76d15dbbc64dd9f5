#include "common/file_io.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/sha256.h"

namespace kinglet::server {
namespace {

Status OsError(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return OsError("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status MakeDirectories(const std::string& dir, unsigned mode) {
  if (dir.empty()) return Status::Ok();
  std::string prefix;
  size_t start = 0;
  while (start <= dir.size()) {
    const size_t slash = dir.find('/', start);
    const size_t end = slash == std::string::npos ? dir.size() : slash;
    prefix = dir.substr(0, end);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return OsError("cannot create directory", prefix);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::IOError(dir + " exists but is not a directory");
  }
  return Status::Ok();
}

Status SyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OsError("cannot open", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return OsError("cannot fsync", path);
  return Status::Ok();
}

Status RenameDurably(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return OsError("cannot rename " + from + " to", to);
  return SyncPath(ParentDirectory(to));
}

Status WriteFileAtomically(const std::string& path, std::string_view bytes, unsigned mode) {
  const std::string temp = path + ".tmp-" + RandomHex(6);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return OsError("cannot create", temp);
  Status status = WriteAll(fd, bytes, temp);
  if (status.ok() && ::fchmod(fd, mode) != 0) status = OsError("cannot chmod", temp);  // umask-proof
  if (status.ok() && ::fsync(fd) != 0) status = OsError("cannot fsync", temp);
  if (::close(fd) != 0 && status.ok()) status = OsError("cannot close", temp);
  if (status.ok()) status = RenameDurably(temp, path);
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

Result<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return OsError("cannot open", path);
  }
  std::string out;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return OsError("cannot read", path);
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return OsError("cannot stat", path);
  }
  return static_cast<uint64_t>(st.st_size);
}

bool PathExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string ParentDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string RandomHex(size_t bytes) {
  std::vector<uint8_t> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    // The CSPRNG failing is not recoverable here; an all-zero id would be worse than stopping.
    std::abort();
  }
  return HexEncode(raw.data(), raw.size());
}

}  // namespace kinglet::server
