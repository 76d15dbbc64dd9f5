// SHA-256 (OpenSSL's EVP): the address of every blob and the check on every upload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kinglet/status.h"

namespace kinglet::server {

// Incremental hashing, for files that arrive in chunks. Not copyable; not thread-safe.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // Lowercase hex of the 32-byte digest. Call once; the object is spent afterwards.
  std::string FinishHex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

std::string Sha256Hex(std::string_view bytes);

// Hashes a file in 64 KiB reads (files may be larger than memory wants to hold).
Result<std::string> Sha256File(const std::string& path);

// True for exactly 64 lowercase hex digits (what Sha256Hex returns).
bool IsSha256Hex(std::string_view text);

std::string HexEncode(const uint8_t* bytes, size_t size);

}  // namespace kinglet::server
