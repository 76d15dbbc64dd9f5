// Signed manifests, TUF style: {"signed": {...}, "signatures": [{"keyid", "sig"}]}, where "sig"
// is the base64 Ed25519 signature of the canonical form of "signed": keys sorted, no
// insignificant whitespace, UTF-8, integers only (no floats, whose text form is not canonical).
#pragma once

#include <cstdint>
#include <string>

#include "crypto/signing_key.h"
#include "kinglet/status.h"

namespace kinglet::server {

struct ManifestFields {
  std::string model;
  uint32_t version = 0;
  std::string device_class;
  std::string sha256;
  uint64_t size = 0;
  std::string url;
  uint64_t serial = 0;
  int64_t issued = 0;   // Unix seconds
  int64_t expires = 0;  // Unix seconds
};

// The canonical serialisation of the "signed" object (what the signature covers).
std::string CanonicalSigned(const ManifestFields& fields, const std::string& keyid);

// The whole manifest document.
Result<std::string> SignManifest(const ManifestFields& fields, const SigningKey& key);

std::string Base64Encode(const std::string& bytes);
// Empty on malformed input.
std::string Base64Decode(const std::string& text);

}  // namespace kinglet::server
