#include "common/files.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <memory>

namespace kinglet::sdk {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " '" + path + "': " + std::strerror(errno));
}

std::string Hex(const unsigned char* bytes, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// Feeds a file's bytes to `consume` in pieces; stops at its first error.
Status ReadChunks(const std::string& path, const std::function<Status(const char*, size_t)>& consume) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::NotFound("no file '" + path + "'") : Errno("cannot open", path);
  char buffer[65536];
  Status status = Status::Ok();
  while (status.ok()) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = Errno("cannot read", path);
    if (n <= 0) break;
    status = consume(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return status;
}

}  // namespace

Status MakeDirectories(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    const std::string prefix = path.substr(0, i);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) return Errno("cannot create directory", prefix);
  }
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::IOError("'" + path + "' is not a directory");
  }
  return Status::Ok();
}

Result<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes) {
  std::string out;
  KINGLET_RETURN_IF_ERROR(ReadChunks(path, [&](const char* data, size_t n) {
    out.append(data, n);
    return out.size() <= max_bytes ? Status::Ok()
                                   : Status::ResourceExhausted("'" + path + "' is larger than " +
                                                               std::to_string(max_bytes) + " bytes");
  }));
  return out;
}

Status RenameDurably(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Errno("cannot rename into", to);
  const std::string dir = DirectoryOf(to);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("cannot open directory", dir);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  return rc == 0 ? Status::Ok() : Errno("cannot fsync directory", dir);
}

Status WriteFileAtomically(const std::string& path, const std::string& bytes) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", temp);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const Status s = Errno("cannot write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const Status s = Errno("cannot fsync", temp);
    ::close(fd);
    ::unlink(temp.c_str());
    return s;
  }
  ::close(fd);
  const Status renamed = RenameDurably(temp, path);
  if (!renamed.ok()) ::unlink(temp.c_str());
  return renamed;
}

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Status::NotFound("no file '" + path + "'") : Errno("cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) return Status::IOError("'" + path + "' is not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

bool FileExists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Result<std::string> Sha256OfFile(const std::string& path) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  KINGLET_RETURN_IF_ERROR(ReadChunks(path, [&](const char* data, size_t n) {
    EVP_DigestUpdate(ctx.get(), data, n);
    return Status::Ok();
  }));
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  return Hex(digest, length);
}

std::string Sha256Hex(const void* data, size_t size) {
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr);
  return Hex(digest, length);
}

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Status::Internal("the system's random number generator failed");
  }
  return Hex(reinterpret_cast<const unsigned char*>(raw.data()), bytes);
}

}  // namespace kinglet::sdk
