#include "runtime/status_format.h"

#include <cstdio>
#include <cstring>

namespace kinglet {

void MessageArg::AppendTo(std::string* out) const {
  char digits[32];
  switch (kind_) {
    case Kind::kSigned:
      std::snprintf(digits, sizeof digits, "%lld", static_cast<long long>(signed_));
      break;
    case Kind::kUnsigned:
      std::snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(unsigned_));
      break;
    case Kind::kFloat:
      std::snprintf(digits, sizeof digits, "%g", float_);
      break;
    case Kind::kText:
      if (text_.data == nullptr) return;
      out->append(text_.data, text_.size == kNulTerminated ? std::strlen(text_.data) : text_.size);
      return;
    case Kind::kShape:
      *out += '[';
      for (size_t i = 0; i < shape_->size(); ++i) {
        if (i) *out += ',';
        const int64_t d = (*shape_)[i];
        if (d < 0) {
          *out += '?';
        } else {
          MessageArg(d).AppendTo(out);
        }
      }
      *out += ']';
      return;
  }
  *out += digits;
}

std::string FormatMessageList(const char* text, std::initializer_list<MessageArg> args) {
  std::string out;
  const MessageArg* next = args.begin();
  for (const char* p = text; *p != '\0'; ++p) {
    if (p[0] == '{' && p[1] == '}' && next != args.end()) {
      (next++)->AppendTo(&out);
      ++p;
    } else {
      out += *p;
    }
  }
  return out;
}

Status FormatStatus(StatusCode code, const char* text, std::initializer_list<MessageArg> args) {
  return Status::Of(code, FormatMessageList(text, args));
}

}  // namespace kinglet
