#include "delivery/delivery_service.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/names.h"
#include "common/sha256.h"
#include "delivery/manifest.h"
#include "delivery/rollout_policy.h"

namespace kinglet::server {
namespace {

HttpReply Error(unsigned status, const std::string& message) { return ErrorReply(status, message); }

HttpReply FromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return Error(400, s.message());
    case StatusCode::kNotFound: return Error(404, s.message());
    default: return Error(500, "internal error; see kingletd's log");
  }
}

// "bytes=a-b", "bytes=a-", "bytes=-n" against a file of `size` bytes. Returns false for a
// header we do not honour (multiple ranges, other units, garbage): the whole file is sent, as
// RFC 9110 allows. `satisfiable` is false for a well-formed range outside the file.
bool ParseRange(const std::string& header, uint64_t size, uint64_t* first, uint64_t* last, bool* satisfiable) {
  const std::string prefix = "bytes=";
  if (header.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string spec = header.substr(prefix.size());
  if (spec.find(',') != std::string::npos) return false;
  const size_t dash = spec.find('-');
  if (dash == std::string::npos) return false;
  const std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto number = [](const std::string& text, uint64_t* value) {
    if (text.empty() || text.size() > 19) return false;
    uint64_t v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    *value = v;
    return true;
  };
  uint64_t x = 0, y = 0;
  if (a.empty()) {  // suffix: the last y bytes
    if (!number(b, &y)) return false;
    *satisfiable = y > 0 && size > 0;
    *first = y >= size ? 0 : size - y;
    *last = size - 1;
    return true;
  }
  if (!number(a, &x)) return false;
  if (!b.empty() && (!number(b, &y) || y < x)) return false;
  *satisfiable = x < size;
  *first = x;
  *last = b.empty() || y >= size ? size - 1 : y;
  return true;
}

// Splits "/a/b/c" into {"a", "b", "c"}.
std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

DeliveryService::DeliveryService(Catalog* catalog, BlobStore* blobs, const SigningKey* key, DeliveryOptions options)
    : catalog_(catalog), blobs_(blobs), key_(key), options_(std::move(options)), blob_cache_(options_.blob_cache_bytes) {}

int64_t DeliveryService::Now() const { return options_.now ? options_.now() : static_cast<int64_t>(std::time(nullptr)); }

HttpReply DeliveryService::Handle(const HttpRequestView& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpReply r = Error(405, "only GET and HEAD are served here");
    r.headers.push_back({"Allow", "GET, HEAD"});
    return r;
  }
  if (request.target.size() > 2048 || request.target.empty() || request.target[0] != '/') {
    return Error(400, "bad request target");
  }
  std::string path;
  std::map<std::string, std::string> query;
  if (!SplitTarget(request.target, &path, &query)) return Error(400, "malformed percent-encoding in the query");
  const std::vector<std::string> seg = Segments(path);
  if (path == "/healthz") {
    HttpReply r;
    r.headers = {{"Content-Type", "text/plain"}, {"Cache-Control", "no-store"}};
    r.body = "ok\n";
    return r;
  }
  if (path == "/v1/keys") return Keys();
  if (seg.size() == 4 && seg[0] == "v1" && seg[1] == "models" && seg[3] == "manifest") {
    std::string model;
    if (!PercentDecode(seg[2], &model)) return Error(400, "malformed percent-encoding in the model name");
    return WithConditional(Manifest(model, query), request);
  }
  if (path == "/v1/device-classes") return DeviceClasses();
  if (seg.size() == 3 && seg[0] == "v1" && seg[1] == "blobs") return Blob(seg[2], request);
  return Error(404, "no such endpoint: " + path.substr(0, 200));
}

HttpReply DeliveryService::WithConditional(HttpReply reply, const HttpRequestView& request) {
  const std::string if_none_match = request.header("if-none-match");
  if (reply.status != 200 || if_none_match.empty()) return reply;
  for (const auto& [name, value] : reply.headers) {
    if (name == "ETag" && if_none_match.find(value) != std::string::npos) {
      HttpReply not_modified;
      not_modified.status = 304;
      not_modified.headers = {{"ETag", value}, {"Cache-Control", "no-store"}};
      return not_modified;
    }
  }
  return reply;
}

HttpReply DeliveryService::DeviceClasses() {
  auto classes = catalog_->ListDeviceClasses();
  if (!classes.ok()) return FromStatus(classes.status());
  nlohmann::json list = nlohmann::json::array();
  for (const DeviceClassRecord& c : *classes) {
    list.push_back({{"name", c.name}, {"isa", c.isa}, {"cpu_features", c.cpu_features}, {"min_ram_mib", c.min_ram_mib}});
  }
  HttpReply r = JsonReply(200, nlohmann::json{{"device_classes", list}}.dump());
  r.headers[1].second = "public, max-age=60";
  return r;
}

HttpReply DeliveryService::Keys() {
  nlohmann::json keys = nlohmann::json::array();
  keys.push_back({{"keyid", key_->key_id()}, {"algorithm", "ed25519"}, {"public_key_pem", key_->public_key_pem()}});
  HttpReply r = JsonReply(200, nlohmann::json{{"keys", keys}}.dump());
  r.headers[1].second = "public, max-age=300";
  return r;
}

Result<RolloutRecord> DeliveryService::CachedRollout(const std::string& model, uint64_t generation) {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = rollouts_.find(model);
    if (it != rollouts_.end() && it->second.first == generation) return it->second.second;
  }
  KINGLET_ASSIGN_OR_RETURN(RolloutRecord rollout, catalog_->GetRollout(model));
  std::lock_guard<std::mutex> lock(cache_mu_);
  rollouts_[model] = {generation, rollout};
  return rollout;
}

Result<bool> DeliveryService::CachedIsArtifact(const std::string& sha256, uint64_t generation) {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = served_blobs_.find(sha256);
    if (it != served_blobs_.end() && it->second == generation) return true;
  }
  KINGLET_ASSIGN_OR_RETURN(bool served, catalog_->IsArtifact(sha256));
  if (served) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    served_blobs_[sha256] = generation;
  }
  return served;
}

HttpReply DeliveryService::Manifest(const std::string& model, const std::map<std::string, std::string>& query) {
  const Status name_ok = ValidateName(model, "model name");
  if (!name_ok.ok()) return FromStatus(name_ok);
  auto cls = query.find("device_class");
  auto device = query.find("device_id");
  if (cls == query.end()) return Error(400, "the device_class query parameter is required");
  const Status class_ok = ValidateName(cls->second, "device class");
  if (!class_ok.ok()) return FromStatus(class_ok);
  if (device == query.end() || !ValidateDeviceId(device->second).ok()) {
    return Error(400, "the device_id query parameter is required: 1-128 of [A-Za-z0-9._:-]");
  }
  // Read the generation before the catalog: a change racing this request makes the next one miss.
  const uint64_t generation = catalog_->delivery_generation();
  auto rollout = CachedRollout(model, generation);
  if (!rollout.ok()) return FromStatus(rollout.status());
  const uint32_t version = VersionFor(*rollout, device->second);
  if (version == 0) return Error(404, "model '" + model + "' has no version rolled out");
  const std::string cache_key = model + '\n' + cls->second + '\n' + std::to_string(version);
  const int64_t now = Now();
  const int64_t refresh = std::min<int64_t>(options_.manifest_ttl_seconds / 2, 600);
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = manifests_.find(cache_key);
    if (it != manifests_.end() && it->second.generation == generation && now - it->second.issued < refresh) {
      return it->second.reply;
    }
  }
  auto artifact = catalog_->GetArtifact(model, version, cls->second);
  if (!artifact.ok()) return FromStatus(artifact.status());
  // A canary whose job failed for this class leaves the class on the stable version.
  if (!artifact->has_value() && version != rollout->stable_version && rollout->stable_version != 0) {
    artifact = catalog_->GetArtifact(model, rollout->stable_version, cls->second);
    if (!artifact.ok()) return FromStatus(artifact.status());
  }
  if (!artifact->has_value()) {
    return Error(404, "model '" + model + "' has no artifact for device class '" + cls->second + "'");
  }
  const ArtifactRecord& a = **artifact;
  ManifestFields fields;
  fields.model = model;
  fields.version = a.version;
  fields.device_class = a.device_class;
  fields.sha256 = a.sha256;
  fields.size = a.size;
  fields.url = options_.public_url + "/v1/blobs/" + a.sha256;
  fields.serial = rollout->serial;
  fields.issued = now;
  fields.expires = fields.issued + options_.manifest_ttl_seconds;
  auto signed_manifest = SignManifest(fields, *key_);
  if (!signed_manifest.ok()) return FromStatus(signed_manifest.status());
  HttpReply reply = JsonReply(200, *signed_manifest);
  // The ETag lets a device that already holds this exact document skip it (304).
  reply.headers.push_back({"ETag", "\"" + Sha256Hex(reply.body).substr(0, 32) + "\""});
  std::lock_guard<std::mutex> lock(cache_mu_);
  manifests_[cache_key] = {generation, now, reply};
  return reply;
}

HttpReply DeliveryService::Blob(const std::string& sha256, const HttpRequestView& request) {
  if (!IsSha256Hex(sha256)) return Error(400, "a blob name is 64 lowercase hex digits");
  auto served = CachedIsArtifact(sha256, catalog_->delivery_generation());
  if (!served.ok()) return FromStatus(served.status());
  if (!*served) return Error(404, "no artifact " + sha256);
  // Hot blobs come from memory with no file system call at all.
  std::shared_ptr<const std::string> bytes = blob_cache_.Get(sha256);
  std::string path;
  uint64_t size = 0;
  if (bytes != nullptr) {
    size = bytes->size();
  } else {
    auto p = blobs_->PathOf(sha256);
    auto s = p.ok() ? blobs_->Size(sha256) : Result<uint64_t>(p.status());
    if (!s.ok()) return Error(404, "no artifact " + sha256);
    path = *p;
    size = *s;
    if (size <= options_.blob_cache_bytes / 8) {
      auto read = blobs_->Read(sha256);
      if (read.ok() && read->size() == size) {
        bytes = std::make_shared<const std::string>(std::move(*read));
        blob_cache_.Put(sha256, bytes);
      }
    }
  }

  HttpReply r;
  const std::string etag = "\"" + sha256 + "\"";
  r.headers = {{"ETag", etag},
               {"Cache-Control", "public, max-age=31536000, immutable"},
               {"Accept-Ranges", "bytes"},
               {"Content-Type", "application/octet-stream"}};
  const std::string if_none_match = request.header("if-none-match");
  if (!if_none_match.empty() && (if_none_match == etag || if_none_match == "*" ||
                                 if_none_match.find(etag) != std::string::npos)) {
    r.status = 304;
    return r;
  }
  r.shared_body = bytes;
  if (bytes == nullptr) r.file_path = path;
  r.file_offset = 0;
  r.file_length = size;
  const std::string range = request.header("range");
  uint64_t first = 0, last = 0;
  bool satisfiable = false;
  if (!range.empty() && ParseRange(range, size, &first, &last, &satisfiable)) {
    if (!satisfiable) {
      r.status = 416;
      r.file_path.clear();
      r.shared_body.reset();
      r.file_length = 0;
      r.headers.push_back({"Content-Range", "bytes */" + std::to_string(size)});
      return r;
    }
    r.status = 206;
    r.file_offset = first;
    r.file_length = last - first + 1;
    r.headers.push_back(
        {"Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size)});
  }
  return r;
}

}  // namespace kinglet::server
