#include "verify/manifest_verifier.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/files.h"
#include "json/json_value.h"

namespace kinglet::sdk {
namespace {

constexpr size_t kMaxManifestBytes = 64 * 1024;

std::string Base64Decode(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return {};
  std::string out(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  size_t size = static_cast<size_t>(n);
  if (text.back() == '=') --size;  // EVP_DecodeBlock counts padding as zero bytes
  if (text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

bool VerifyEd25519(const std::string& pem, const std::string& message, const std::string& signature) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 &&
                  EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                   reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

Status Malformed(const std::string& what) { return Status::InvalidArgument("manifest: " + what); }

}  // namespace

Result<TrustedKey> TrustedKeyFromPem(const std::string& public_key_pem) {
  BIO* bio = BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  unsigned char raw[32];
  size_t raw_size = sizeof raw;
  const bool ok = key != nullptr && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 &&
                  EVP_PKEY_get_raw_public_key(key, raw, &raw_size) == 1 && raw_size == 32;
  EVP_PKEY_free(key);
  if (!ok) return Status::InvalidArgument("a pinned public key is not an Ed25519 public key in PEM form");
  return TrustedKey{Sha256Hex(raw, sizeof raw).substr(0, 16), public_key_pem};
}

Result<VerifiedManifest> VerifyManifest(const std::string& document, const std::vector<TrustedKey>& trusted,
                                        int64_t now, uint64_t min_serial) {
  if (document.size() > kMaxManifestBytes) return Malformed("larger than 64 KiB");
  KINGLET_ASSIGN_OR_RETURN(json::Value root, json::Parse(document));
  const json::Value* signed_part = root.Find("signed");
  const json::Value* signatures = root.Find("signatures");
  if (signed_part == nullptr || !signed_part->is_object()) return Malformed("no \"signed\" object");
  if (signatures == nullptr || !signatures->is_array()) {
    return Status::Unauthenticated("manifest: unsigned (no \"signatures\" array)");
  }
  KINGLET_ASSIGN_OR_RETURN(const std::string canonical, json::Canonical(*signed_part));

  // Any one signature by a trusted key suffices.
  std::string signing_keyid;
  for (const json::Value& sig : signatures->array()) {
    const json::Value* keyid = sig.Find("keyid");
    const json::Value* value = sig.Find("sig");
    if (keyid == nullptr || value == nullptr || !keyid->is_string() || !value->is_string()) continue;
    for (const TrustedKey& key : trusted) {
      if (key.keyid != keyid->string()) continue;
      const std::string raw = Base64Decode(value->string());
      if (raw.size() == 64 && VerifyEd25519(key.public_key_pem, canonical, raw)) signing_keyid = key.keyid;
    }
    if (!signing_keyid.empty()) break;
  }
  if (signing_keyid.empty()) {
    return Status::Unauthenticated("manifest: no valid signature by a trusted key (wrong key, or tampered)");
  }

  VerifiedManifest m;
  auto text = [&](const char* name, std::string* out) -> Status {
    const json::Value* v = signed_part->Find(name);
    if (v == nullptr || !v->is_string()) return Malformed(std::string("\"") + name + "\" missing or not a string");
    *out = v->string();
    return Status::Ok();
  };
  auto number = [&](const char* name, int64_t* out) -> Status {
    const json::Value* v = signed_part->Find(name);
    if (v == nullptr || !v->is_integer() || v->integer() < 0) {
      return Malformed(std::string("\"") + name + "\" missing or not a non-negative integer");
    }
    *out = v->integer();
    return Status::Ok();
  };
  int64_t version = 0, size = 0, serial = 0;
  KINGLET_RETURN_IF_ERROR(text("model", &m.model));
  KINGLET_RETURN_IF_ERROR(text("device_class", &m.device_class));
  KINGLET_RETURN_IF_ERROR(text("sha256", &m.sha256));
  KINGLET_RETURN_IF_ERROR(text("url", &m.url));
  KINGLET_RETURN_IF_ERROR(text("keyid", &m.keyid));
  KINGLET_RETURN_IF_ERROR(number("version", &version));
  KINGLET_RETURN_IF_ERROR(number("size", &size));
  KINGLET_RETURN_IF_ERROR(number("serial", &serial));
  KINGLET_RETURN_IF_ERROR(number("issued", &m.issued));
  KINGLET_RETURN_IF_ERROR(number("expires", &m.expires));
  if (version < 1 || version > UINT32_MAX) return Malformed("version out of range");
  m.version = static_cast<uint32_t>(version);
  m.size = static_cast<uint64_t>(size);
  m.serial = static_cast<uint64_t>(serial);
  if (m.keyid != signing_keyid) return Status::Unauthenticated("manifest: signed by a key other than the one it names");
  if (m.sha256.size() != 64 || m.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Malformed("sha256 is not 64 lowercase hex digits");
  }
  if (now != kIgnoreExpiry && now >= m.expires) {
    return Status::FailedPrecondition("manifest expired at " + std::to_string(m.expires) + " (now " +
                                      std::to_string(now) + "); the server must issue a fresh one");
  }
  if (m.serial < min_serial) {
    return Status::FailedPrecondition("manifest serial " + std::to_string(m.serial) + " is older than " +
                                      std::to_string(min_serial) + " already accepted: a replayed manifest");
  }
  return m;
}

}  // namespace kinglet::sdk
