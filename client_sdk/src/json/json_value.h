// A small JSON reader and canonical writer for the SDK (which may not depend on a JSON
// library): enough for manifests and telemetry batches, strict about what it accepts, and
// bounded (depth 32, the caller bounds the size).
//
// Canonical form (what manifest signatures cover): object keys in byte order, no whitespace,
// strings escaped only where JSON requires it (", \, control characters; \b \f \n \r \t short,
// others \u00xx), UTF-8 as is, integers only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kinglet/status.h"

namespace kinglet::sdk::json {

class Value {
 public:
  enum class Kind { kNull, kBool, kInteger, kDouble, kString, kArray, kObject };

  Value() = default;
  static Value Bool(bool b);
  static Value Integer(int64_t i);
  static Value Double(double d);
  static Value String(std::string s);
  static Value Array(std::vector<Value> items);
  static Value Object(std::map<std::string, Value> members);

  Kind kind() const { return kind_; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_integer() const { return kind_ == Kind::kInteger; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool boolean() const { return bool_; }
  const std::string& string() const { return string_; }
  int64_t integer() const { return integer_; }
  const std::vector<Value>& array() const { return array_; }
  const std::map<std::string, Value>& object() const { return object_; }
  // The member named `key` of an object, or null.
  const Value* Find(const std::string& key) const;

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  int64_t integer_ = 0;
  double double_ = 0;
  std::string string_;
  std::vector<Value> array_;
  std::map<std::string, Value> object_;

  friend class Parser;
};

// Parses one JSON document (RFC 8259; duplicate keys and trailing data are errors).
Result<Value> Parse(const std::string& text);

// The canonical serialisation; InvalidArgument if the value holds a non-integer number.
Result<std::string> Canonical(const Value& value);

}  // namespace kinglet::sdk::json
