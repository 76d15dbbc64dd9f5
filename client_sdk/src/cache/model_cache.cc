#include "cache/model_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "common/files.h"
#include "json/json_value.h"

namespace kinglet::sdk {
namespace {

constexpr uint64_t kMaxManifestFile = 64 * 1024;

struct BlobFile {
  std::string sha256;
  uint64_t size = 0;
  int64_t used_ns = 0;
};

std::vector<BlobFile> ListBlobs(const std::string& dir) {
  std::vector<BlobFile> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() != 64 + 4 || name.compare(64, 4, ".kgl") != 0) continue;
    struct stat st{};
    if (::stat((dir + "/" + name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    out.push_back({name.substr(0, 64), static_cast<uint64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec});
  }
  ::closedir(d);
  return out;
}

void MarkUsed(const std::string& path) { ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0); }

}  // namespace

Status ValidateModelName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (ok) return Status::Ok();
  return Status::InvalidArgument("model name '" + name.substr(0, 64) +
                                 "' is not valid: use 1-64 lowercase letters, digits and '-', starting with a letter");
}

Result<std::unique_ptr<ModelCache>> ModelCache::Open(const std::string& dir, uint64_t max_blob_bytes) {
  if (dir.empty()) return Status::InvalidArgument("the SDK needs a cache directory (ClientConfig::cache_dir)");
  for (const char* sub : {"/blobs", "/partial", "/models"}) KINGLET_RETURN_IF_ERROR(MakeDirectories(dir + sub));
  return std::unique_ptr<ModelCache>(new ModelCache(dir, max_blob_bytes));
}

std::string ModelCache::BlobPath(const std::string& sha256) const { return dir_ + "/blobs/" + sha256 + ".kgl"; }
std::string ModelCache::PartialPath(const std::string& sha256) const {
  return dir_ + "/partial/" + sha256 + ".part";
}

bool ModelCache::HasVerifiedBlob(const std::string& sha256) {
  const std::string path = BlobPath(sha256);
  auto actual = Sha256OfFile(path);
  if (!actual.ok()) return false;
  if (*actual != sha256) {
    ::unlink(path.c_str());
    return false;
  }
  MarkUsed(path);
  return true;
}

Status ModelCache::AdoptPartial(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = BlobPath(sha256);
  KINGLET_RETURN_IF_ERROR(RenameDurably(PartialPath(sha256), path));
  MarkUsed(path);
  EvictLocked(sha256);
  return Status::Ok();
}

void ModelCache::EvictLocked(const std::string& keep) {
  std::vector<BlobFile> blobs = ListBlobs(dir_ + "/blobs");
  uint64_t total = 0;
  for (const BlobFile& b : blobs) total += b.size;
  std::sort(blobs.begin(), blobs.end(), [](const BlobFile& a, const BlobFile& b) { return a.used_ns < b.used_ns; });
  for (const BlobFile& b : blobs) {
    if (total <= max_blob_bytes_) break;
    if (b.sha256 == keep || pinned_.count(b.sha256) != 0) continue;
    if (::unlink(BlobPath(b.sha256).c_str()) == 0) total -= b.size;
  }
}

std::shared_ptr<void> ModelCache::Pin(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  ++pinned_[sha256];
  return std::shared_ptr<void>(nullptr, [this, sha256](void*) {
    std::lock_guard<std::mutex> unlock(mu_);
    if (--pinned_[sha256] == 0) pinned_.erase(sha256);
  });
}

std::unique_lock<std::mutex> ModelCache::LockDownload(const std::string& sha256) {
  std::mutex* m;
  {
    std::lock_guard<std::mutex> lock(downloads_mu_);
    std::unique_ptr<std::mutex>& slot = downloads_[sha256];
    if (slot == nullptr) slot = std::make_unique<std::mutex>();
    m = slot.get();
  }
  return std::unique_lock<std::mutex>(*m);
}

uint64_t ModelCache::BlobBytes() const {
  uint64_t total = 0;
  for (const BlobFile& b : ListBlobs(dir_ + "/blobs")) total += b.size;
  return total;
}

Result<std::optional<CachedManifest>> ModelCache::LoadManifest(const std::string& model) const {
  KINGLET_RETURN_IF_ERROR(ValidateModelName(model));
  auto text = ReadSmallFile(dir_ + "/models/" + model + ".json", kMaxManifestFile);
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) return std::optional<CachedManifest>();
  if (!text.ok()) return text.status();
  auto doc = json::Parse(*text);
  const json::Value* document = doc.ok() ? doc->Find("document") : nullptr;
  const json::Value* etag = doc.ok() ? doc->Find("etag") : nullptr;
  if (document == nullptr || !document->is_string() || etag == nullptr || !etag->is_string()) {
    return Status::Corruption("the cached manifest of '" + model + "' is damaged; it will be fetched again");
  }
  return std::optional<CachedManifest>(CachedManifest{document->string(), etag->string()});
}

Status ModelCache::StoreManifest(const std::string& model, const CachedManifest& manifest) {
  KINGLET_RETURN_IF_ERROR(ValidateModelName(model));
  auto text = json::Canonical(json::Value::Object(
      {{"document", json::Value::String(manifest.document)}, {"etag", json::Value::String(manifest.etag)}}));
  if (!text.ok()) return text.status();
  return WriteFileAtomically(dir_ + "/models/" + model + ".json", *text);
}

}  // namespace kinglet::sdk
