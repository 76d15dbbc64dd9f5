#include "json/json_value.h"

#include <cerrno>
#include <cstdlib>

namespace kinglet::sdk::json {

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}

Value Value::Integer(int64_t i) {
  Value v;
  v.kind_ = Kind::kInteger;
  v.integer_ = i;
  return v;
}

Value Value::Double(double d) {
  Value v;
  v.kind_ = Kind::kDouble;
  v.double_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.string_ = std::move(s);
  return v;
}

Value Value::Array(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::kArray;
  v.array_ = std::move(items);
  return v;
}

Value Value::Object(std::map<std::string, Value> members) {
  Value v;
  v.kind_ = Kind::kObject;
  v.object_ = std::move(members);
  return v;
}

const Value* Value::Find(const std::string& key) const {
  if (kind_ != Kind::kObject) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &it->second;
}

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  Result<Value> Document() {
    KINGLET_ASSIGN_OR_RETURN(Value v, ParseValue(0));
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected data after the document");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 32;

  Status Error(const std::string& what) const {
    return Status::InvalidArgument("JSON: " + what + " at byte " + std::to_string(pos_));
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(const char* word) {
    size_t n = 0;
    while (word[n] != '\0') ++n;
    if (text_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }

  Result<Value> ParseValue(int depth) {
    if (depth > kMaxDepth) return Error("nesting deeper than 32");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end");
    const char c = text_[pos_];
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') {
      KINGLET_ASSIGN_OR_RETURN(std::string s, ParseString());
      return Value::String(std::move(s));
    }
    if (Consume("true")) return Value::Bool(true);
    if (Consume("false")) return Value::Bool(false);
    if (Consume("null")) return Value();
    return ParseNumber();
  }

  Result<Value> ParseObject(int depth) {
    ++pos_;  // {
    std::map<std::string, Value> members;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return Value::Object(std::move(members));
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected a string key");
      KINGLET_ASSIGN_OR_RETURN(std::string key, ParseString());
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Error("expected ':'");
      ++pos_;
      KINGLET_ASSIGN_OR_RETURN(Value v, ParseValue(depth + 1));
      // Two readers that keep different duplicates would see different documents.
      if (!members.emplace(std::move(key), std::move(v)).second) return Error("duplicate key");
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return Value::Object(std::move(members));
      }
      return Error("expected ',' or '}'");
    }
  }

  Result<Value> ParseArray(int depth) {
    ++pos_;  // [
    std::vector<Value> items;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return Value::Array(std::move(items));
    }
    while (true) {
      KINGLET_ASSIGN_OR_RETURN(Value v, ParseValue(depth + 1));
      items.push_back(std::move(v));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return Value::Array(std::move(items));
      }
      return Error("expected ',' or ']'");
    }
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  Result<uint32_t> Hex4() {
    if (pos_ + 4 > text_.size()) return Error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return Error("bad \\u escape");
    }
    return v;
  }

  Result<std::string> ParseString() {
    ++pos_;  // "
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_++]);
      if (c == '"') return out;
      if (c < 0x20) return Error("control character in a string");
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (pos_ >= text_.size()) return Error("unterminated escape");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          KINGLET_ASSIGN_OR_RETURN(uint32_t cp, Hex4());
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair
            if (!Consume("\\u")) return Error("lone high surrogate");
            KINGLET_ASSIGN_OR_RETURN(uint32_t low, Hex4());
            if (low < 0xDC00 || low > 0xDFFF) return Error("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error("lone low surrogate");
          }
          AppendUtf8(cp, &out);
          break;
        }
        default: return Error("unknown escape");
      }
    }
  }

  Result<Value> ParseNumber() {
    const size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') return Error("unexpected character");
    if (text_[pos_] == '0' && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' && text_[pos_ + 1] <= '9') {
      return Error("leading zero");
    }
    bool integral = true;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c >= '0' && c <= '9') {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || (c == '-' && pos_ > start)) {
        integral = false;
        ++pos_;
      } else {
        break;
      }
    }
    const std::string number = text_.substr(start, pos_ - start);
    errno = 0;
    char* end = nullptr;
    if (integral) {
      const long long v = std::strtoll(number.c_str(), &end, 10);
      if (errno == ERANGE || *end != '\0') return Error("integer out of range");
      return Value::Integer(v);
    }
    const double d = std::strtod(number.c_str(), &end);
    if (*end != '\0' || number.back() == '.' || number.back() == 'e' || number.back() == 'E') {
      return Error("malformed number");
    }
    return Value::Double(d);
  }

  const std::string& text_;
  size_t pos_ = 0;
};

Result<Value> Parse(const std::string& text) { return Parser(text).Document(); }

namespace {

void AppendEscaped(const std::string& s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  *out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          *out += kHex[c >> 4];
          *out += kHex[c & 15];
        } else {
          *out += static_cast<char>(c);
        }
    }
  }
  *out += '"';
}

Status AppendCanonical(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kNull: *out += "null"; return Status::Ok();
    case Value::Kind::kBool: *out += v.boolean() ? "true" : "false"; return Status::Ok();
    case Value::Kind::kInteger: *out += std::to_string(v.integer()); return Status::Ok();
    case Value::Kind::kDouble:
      return Status::InvalidArgument("canonical JSON here holds integers only, and this value has a fraction");
    case Value::Kind::kString: AppendEscaped(v.string(), out); return Status::Ok();
    case Value::Kind::kArray: {
      *out += '[';
      bool first = true;
      for (const Value& item : v.array()) {
        if (!first) *out += ',';
        first = false;
        KINGLET_RETURN_IF_ERROR(AppendCanonical(item, out));
      }
      *out += ']';
      return Status::Ok();
    }
    case Value::Kind::kObject: {
      *out += '{';
      bool first = true;
      for (const auto& [key, member] : v.object()) {  // std::map: byte order
        if (!first) *out += ',';
        first = false;
        AppendEscaped(key, out);
        *out += ':';
        KINGLET_RETURN_IF_ERROR(AppendCanonical(member, out));
      }
      *out += '}';
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> Canonical(const Value& value) {
  std::string out;
  KINGLET_RETURN_IF_ERROR(AppendCanonical(value, &out));
  return out;
}

}  // namespace kinglet::sdk::json
