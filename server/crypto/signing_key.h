// The daemon's Ed25519 manifest-signing key (OpenSSL). Apps pin its public key; its key id is
// the first 16 hex digits of the sha256 of the 32-byte raw public key (TUF-style key ids name
// the key, not the file holding it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kinglet/status.h"

namespace kinglet::server {

class SigningKey {
 public:
  // Loads the PEM private key at `private_path`; when it does not exist, makes a new key and
  // writes it there (0600) and its public key to `public_path` (PEM, 0644). An existing key file
  // readable by group or others is refused: a leaked signing key lets anyone ship models.
  static Result<std::unique_ptr<SigningKey>> LoadOrCreate(const std::string& private_path,
                                                          const std::string& public_path);
  // A fresh key held only in memory (tests).
  static Result<std::unique_ptr<SigningKey>> Generate();
  ~SigningKey();

  // The 64-byte Ed25519 signature of `message`.
  Result<std::string> Sign(std::string_view message) const;
  const std::string& key_id() const { return key_id_; }
  const std::string& public_key_pem() const { return public_pem_; }
  // The 32-byte raw public key.
  const std::string& public_key_raw() const { return public_raw_; }

 private:
  struct Key;
  explicit SigningKey(std::unique_ptr<Key> key);
  Status Describe();

  std::unique_ptr<Key> key_;
  std::string key_id_;
  std::string public_pem_;
  std::string public_raw_;
};

// Checks an Ed25519 signature against a PEM public key (what apps do; used by tests and tools).
Status VerifyEd25519(const std::string& public_key_pem, std::string_view message, std::string_view signature);

}  // namespace kinglet::server
