// What devices talk to: signed manifests, artifact blobs, public keys, health. Transport-free
// (http_server.h carries it over Beast), so every rule here is a plain function of a request.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "blobs/blob_store.h"
#include "delivery/blob_cache.h"
#include "catalog/catalog.h"
#include "crypto/signing_key.h"
#include "delivery/http_message.h"

namespace kinglet::server {

struct DeliveryOptions {
  std::string public_url;              // base of blob URLs, no trailing slash
  int64_t manifest_ttl_seconds = 7 * 24 * 3600;
  std::function<int64_t()> now;        // Unix seconds; defaults to the system clock
  uint64_t blob_cache_bytes = 256ull << 20;
};

class DeliveryService {
 public:
  DeliveryService(Catalog* catalog, BlobStore* blobs, const SigningKey* key, DeliveryOptions options);

  HttpReply Handle(const HttpRequestView& request);

 private:
  HttpReply Manifest(const std::string& model, const std::map<std::string, std::string>& query);
  HttpReply Blob(const std::string& sha256, const HttpRequestView& request);
  HttpReply Keys();
  // The classes and their match rules, for devices to pick theirs.
  HttpReply DeviceClasses();
  // 304 when the request's If-None-Match names the reply's ETag.
  static HttpReply WithConditional(HttpReply reply, const HttpRequestView& request);
  int64_t Now() const;
  Result<RolloutRecord> CachedRollout(const std::string& model, uint64_t generation);
  Result<bool> CachedIsArtifact(const std::string& sha256, uint64_t generation);

  Catalog* catalog_;
  BlobStore* blobs_;
  const SigningKey* key_;
  DeliveryOptions options_;
  BlobCache blob_cache_;

  // Answers derived from the catalog, valid while its delivery generation stands (so a rollout
  // is visible on the next request) — the hot path then needs no SQLite query and, for a
  // manifest already signed, no signature. Signed manifests are reissued after a while so
  // their `issued`/`expires` stay fresh.
  struct SignedManifest {
    uint64_t generation = 0;
    int64_t issued = 0;
    HttpReply reply;
  };
  std::mutex cache_mu_;
  std::unordered_map<std::string, std::pair<uint64_t, RolloutRecord>> rollouts_;  // guarded by cache_mu_
  std::unordered_map<std::string, SignedManifest> manifests_;                    // guarded by cache_mu_
  std::unordered_map<std::string, uint64_t> served_blobs_;                        // guarded by cache_mu_
};

}  // namespace kinglet::server
