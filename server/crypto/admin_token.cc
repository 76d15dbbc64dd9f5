#include "crypto/admin_token.h"

#include <openssl/crypto.h>

#include "common/file_io.h"
#include "common/sha256.h"

namespace kinglet::server {

std::string GenerateAdminToken() { return "kgl_" + RandomHex(32); }

std::string HashAdminToken(std::string_view token) { return Sha256Hex(token); }

bool AdminTokenMatches(std::string_view token, const std::string& stored_hash) {
  const std::string hash = HashAdminToken(token);
  return hash.size() == stored_hash.size() && CRYPTO_memcmp(hash.data(), stored_hash.data(), hash.size()) == 0;
}

}  // namespace kinglet::server
