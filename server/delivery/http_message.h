// What the HTTP server hands a handler and gets back: transport-free, so every endpoint is a
// plain function of a request and can be tested without sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kinglet::server {

struct HttpRequestView {
  std::string method;  // "GET", "HEAD", ...
  std::string target;  // path and query, as sent
  // Header lookup by lowercase name; "" when absent.
  std::function<std::string(const std::string&)> header;
  std::string body;  // POST bodies only; at most 64 KiB (larger ones are refused with 413)
  std::string peer;  // the client's IP address ("" when unknown)
};

struct HttpReply {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is these shared bytes [file_offset, file_offset + file_length).
  std::shared_ptr<const std::string> shared_body;
  // Else, when set, the body is this file's bytes [file_offset, file_offset + file_length).
  std::string file_path;
  uint64_t file_offset = 0;
  uint64_t file_length = 0;
};

using HttpHandler = std::function<HttpReply(const HttpRequestView&)>;

// Splits a request target into its path and percent-decoded query parameters; false on a
// malformed escape.
bool SplitTarget(const std::string& target, std::string* path, std::map<std::string, std::string>* query);

// Percent-decodes a URL component; false on a malformed escape.
bool PercentDecode(const std::string& in, std::string* out);

// A JSON reply (no-store), and {"error": message} with a status.
HttpReply JsonReply(unsigned status, const std::string& body);
HttpReply ErrorReply(unsigned status, const std::string& message);

}  // namespace kinglet::server
