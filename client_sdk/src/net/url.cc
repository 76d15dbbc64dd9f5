#include "net/url.h"

#include <cctype>

namespace kinglet::sdk {

Result<Url> Url::Parse(const std::string& text) {
  Url url;
  std::string rest;
  if (text.rfind("http://", 0) == 0) {
    rest = text.substr(7);
  } else if (text.rfind("https://", 0) == 0) {
    url.tls = true;
    rest = text.substr(8);
  } else {
    return Status::InvalidArgument("URL '" + text + "' must start with http:// or https://");
  }
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  url.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string::npos || url.target.find('#') != std::string::npos) {
    return Status::InvalidArgument("URL '" + text + "' needs a host and may not carry user info or a fragment");
  }
  if (authority[0] == '[') {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("URL '" + text + "': unterminated IPv6 literal");
    url.host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
    if (!authority.empty() && authority[0] != ':') return Status::InvalidArgument("URL '" + text + "': bad port");
    url.port = authority.empty() ? "" : authority.substr(1);
  } else {
    const size_t colon = authority.find(':');
    url.host = authority.substr(0, colon);
    url.port = colon == std::string::npos ? "" : authority.substr(colon + 1);
  }
  if (url.port.empty()) url.port = url.tls ? "443" : "80";
  if (url.host.empty() || url.port.size() > 5) return Status::InvalidArgument("URL '" + text + "': bad host or port");
  for (char c : url.port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return Status::InvalidArgument("URL '" + text + "': bad port");
  }
  if (std::stoi(url.port) == 0 || std::stoi(url.port) > 65535) {
    return Status::InvalidArgument("URL '" + text + "': port out of range");
  }
  return url;
}

Url Url::WithTarget(std::string new_target) const {
  Url u = *this;
  u.target = std::move(new_target);
  return u;
}

std::string PercentEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace kinglet::sdk
