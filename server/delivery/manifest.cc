#include "delivery/manifest.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

namespace kinglet::server {

std::string CanonicalSigned(const ManifestFields& f, const std::string& keyid) {
  // nlohmann::json objects are std::maps: dump() writes keys in byte order, no whitespace, and
  // (ensure_ascii = false) UTF-8 as is.
  const nlohmann::json j = {{"model", f.model},   {"version", f.version}, {"device_class", f.device_class},
                            {"sha256", f.sha256}, {"size", f.size},       {"url", f.url},
                            {"serial", f.serial}, {"issued", f.issued},   {"expires", f.expires},
                            {"keyid", keyid}};
  return j.dump();
}

Result<std::string> SignManifest(const ManifestFields& fields, const SigningKey& key) {
  const std::string canonical = CanonicalSigned(fields, key.key_id());
  KINGLET_ASSIGN_OR_RETURN(const std::string sig, key.Sign(canonical));
  // Splice the canonical text in verbatim so a verifier can also check it byte for byte.
  return R"({"signed":)" + canonical + R"(,"signatures":[{"keyid":")" + key.key_id() + R"(","sig":")" +
         Base64Encode(sig) + R"("}]})";
}

std::string Base64Encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Base64Decode(const std::string& text) {
  if (text.size() % 4 != 0) return {};
  std::string out(3 * (text.size() / 4) + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  size_t size = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

}  // namespace kinglet::server
