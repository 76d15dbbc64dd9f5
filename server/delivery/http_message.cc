#include "delivery/http_message.h"

#include <cctype>
#include <nlohmann/json.hpp>

namespace kinglet::server {

bool PercentDecode(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
        return false;
      }
      *out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      *out += in[i] == '+' ? ' ' : in[i];
    }
  }
  return true;
}

bool SplitTarget(const std::string& target, std::string* path, std::map<std::string, std::string>* query) {
  const size_t question = target.find('?');
  *path = target.substr(0, question);
  query->clear();
  if (question == std::string::npos) return true;
  const std::string q = target.substr(question + 1);
  size_t start = 0;
  while (start <= q.size()) {
    size_t amp = q.find('&', start);
    if (amp == std::string::npos) amp = q.size();
    const std::string pair = q.substr(start, amp - start);
    const size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), &key) ||
        !PercentDecode(eq == std::string::npos ? "" : pair.substr(eq + 1), &value)) {
      return false;
    }
    if (!key.empty()) (*query)[key] = value;
    start = amp + 1;
  }
  return true;
}

HttpReply JsonReply(unsigned status, const std::string& body) {
  HttpReply r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
  r.body = body + "\n";
  return r;
}

HttpReply ErrorReply(unsigned status, const std::string& message) {
  return JsonReply(status, nlohmann::json{{"error", message}}.dump());
}

}  // namespace kinglet::server
