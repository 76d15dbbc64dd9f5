// Admin tokens: 32 random bytes shown once as "kgl_<64 hex>", stored only as their sha256, and
// checked in constant time so response timing reveals nothing about a stored hash.
#pragma once

#include <string>
#include <string_view>

namespace kinglet::server {

std::string GenerateAdminToken();

// Lowercase hex sha256 of the token (what the catalog keeps).
std::string HashAdminToken(std::string_view token);

// True when `token` hashes to `stored_hash`; the comparison takes the same time wherever the
// hashes differ.
bool AdminTokenMatches(std::string_view token, const std::string& stored_hash);

}  // namespace kinglet::server
