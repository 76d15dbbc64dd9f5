#include "blobs/blob_store.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_io.h"
#include "common/sha256.h"

namespace kinglet::server {
namespace {

}  // namespace

BlobStore::BlobStore(std::string root) : root_(std::move(root)), temp_dir_(root_ + "/tmp") {}

Result<std::unique_ptr<BlobStore>> BlobStore::Open(const std::string& root) {
  std::unique_ptr<BlobStore> store(new BlobStore(root));
  KINGLET_RETURN_IF_ERROR(MakeDirectories(store->temp_dir_, 0755));
  // Anything in tmp/ belongs to a write that never finished.
  if (DIR* dir = ::opendir(store->temp_dir_.c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") ::unlink((store->temp_dir_ + "/" + name).c_str());
    }
    ::closedir(dir);
  }
  return store;
}

Result<std::string> BlobStore::PathOf(const std::string& sha256) const {
  if (!IsSha256Hex(sha256)) {
    return Status::InvalidArgument("'" + sha256.substr(0, 80) + "' is not a blob name (64 lowercase hex digits)");
  }
  return root_ + "/" + sha256.substr(0, 2) + "/" + sha256;
}

Result<std::string> BlobStore::Put(std::string_view bytes) {
  const std::string sha = Sha256Hex(bytes);
  KINGLET_ASSIGN_OR_RETURN(const std::string path, PathOf(sha));
  if (PathExists(path)) return sha;
  KINGLET_RETURN_IF_ERROR(MakeDirectories(ParentDirectory(path)));
  const std::string temp = temp_dir_ + "/" + sha + "." + RandomHex(6);
  KINGLET_RETURN_IF_ERROR(WriteFileAtomically(temp, bytes, 0644));
  const Status moved = RenameDurably(temp, path);
  if (!moved.ok()) ::unlink(temp.c_str());
  KINGLET_RETURN_IF_ERROR(moved);
  return sha;
}

Status BlobStore::Adopt(const std::string& path, const std::string& sha256) {
  KINGLET_ASSIGN_OR_RETURN(const std::string target, PathOf(sha256));
  KINGLET_ASSIGN_OR_RETURN(const std::string actual, Sha256File(path));
  if (actual != sha256) {
    return Status::Corruption(path + " hashes to " + actual + ", not the expected " + sha256);
  }
  if (PathExists(target)) {
    ::unlink(path.c_str());
    return Status::Ok();
  }
  KINGLET_RETURN_IF_ERROR(MakeDirectories(ParentDirectory(target)));
  KINGLET_RETURN_IF_ERROR(SyncPath(path));
  return RenameDurably(path, target);
}

bool BlobStore::Contains(const std::string& sha256) const {
  auto path = PathOf(sha256);
  return path.ok() && PathExists(*path);
}

Result<std::string> BlobStore::Read(const std::string& sha256) const {
  KINGLET_ASSIGN_OR_RETURN(const std::string path, PathOf(sha256));
  auto bytes = ReadFile(path);
  if (!bytes.ok() && bytes.status().code() == StatusCode::kNotFound) {
    return Status::NotFound("blob " + sha256 + " is not in the store");
  }
  return bytes;
}

Result<uint64_t> BlobStore::Size(const std::string& sha256) const {
  KINGLET_ASSIGN_OR_RETURN(const std::string path, PathOf(sha256));
  return FileSize(path);
}

Status BlobStore::Verify(const std::string& sha256) const {
  KINGLET_ASSIGN_OR_RETURN(const std::string path, PathOf(sha256));
  KINGLET_ASSIGN_OR_RETURN(const std::string actual, Sha256File(path));
  if (actual != sha256) return Status::Corruption("blob " + sha256 + " on disk now hashes to " + actual);
  return Status::Ok();
}

Status BlobStore::Remove(const std::string& sha256) {
  KINGLET_ASSIGN_OR_RETURN(const std::string path, PathOf(sha256));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::IOError("cannot remove " + path + ": " + std::strerror(errno));
  }
  return SyncPath(ParentDirectory(path));
}

}  // namespace kinglet::server
