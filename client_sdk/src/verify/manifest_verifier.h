// What the SDK trusts: a manifest is accepted only when a pinned key signed the canonical form
// of its "signed" object, it has not expired, and its serial is not older than the newest one
// this device has accepted for the model (so a replayed or frozen manifest cannot roll a
// device back). Several pinned keys may be trusted at once, for key rotation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kinglet/status.h"

namespace kinglet::sdk {

struct TrustedKey {
  std::string keyid;           // as in the manifest (first 16 hex of sha256 of the raw key)
  std::string public_key_pem;  // Ed25519, PEM SubjectPublicKeyInfo
};

struct VerifiedManifest {
  std::string model;
  uint32_t version = 0;
  std::string device_class;
  std::string sha256;
  uint64_t size = 0;
  std::string url;
  uint64_t serial = 0;
  int64_t issued = 0;
  int64_t expires = 0;
  std::string keyid;
};

// A pinned key from its PEM, with the key id manifests name it by.
Result<TrustedKey> TrustedKeyFromPem(const std::string& public_key_pem);

// For re-checking a manifest accepted earlier (the offline fallback): expiry was checked then.
inline constexpr int64_t kIgnoreExpiry = INT64_MIN;

// `now` in Unix seconds. Errors: InvalidArgument (malformed), Unauthenticated (no valid
// signature by a trusted key), FailedPrecondition (expired, or serial < min_serial).
Result<VerifiedManifest> VerifyManifest(const std::string& document, const std::vector<TrustedKey>& trusted,
                                        int64_t now, uint64_t min_serial);

}  // namespace kinglet::sdk
