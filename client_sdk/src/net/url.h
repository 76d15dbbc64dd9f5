// An absolute http(s) URL split into what a connection needs.
#pragma once

#include <string>

#include "kinglet/status.h"

namespace kinglet::sdk {

struct Url {
  bool tls = false;
  std::string host;    // name or IP literal (IPv6 without brackets)
  std::string port;    // always set: the scheme's default when the URL has none
  std::string target;  // path and query, at least "/"

  // "http://host[:port][/path]" or "https://...". No user info, no fragments.
  static Result<Url> Parse(const std::string& text);
  // The same server with another target.
  Url WithTarget(std::string new_target) const;
};

// Percent-encodes a query or path component (RFC 3986 unreserved characters pass through).
std::string PercentEncode(const std::string& text);

}  // namespace kinglet::sdk
