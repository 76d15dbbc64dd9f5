// A minimal blocking HTTP/1.1 client (Boost.Beast) for tests against a real server on loopback.
#pragma once

#include <map>
#include <string>

namespace kinglet::testing {

struct HttpResult {
  int status = 0;  // 0: the request failed at the transport level
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string error;
};

// `address` is HOST:PORT. Extra request headers in `headers`.
HttpResult HttpGet(const std::string& address, const std::string& target,
                   const std::map<std::string, std::string>& headers = {}, const std::string& method = "GET");

// Sends `raw` bytes as they are and returns what comes back (for malformed-request tests).
std::string HttpRaw(const std::string& address, const std::string& raw);

}  // namespace kinglet::testing
