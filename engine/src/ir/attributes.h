// Node attributes: the typed key/value pairs an op reads in Prepare.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kinglet::ir {

struct Attribute {
  // Codes are the .kgl encoding of the kind; never renumber.
  enum class Kind : uint8_t { kInt = 1, kFloat = 2, kString = 3, kInts = 4, kFloats = 5, kStrings = 6 };

  std::string name;
  Kind kind = Kind::kInt;
  int64_t i = 0;
  float f = 0.0f;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;

  static Attribute Int(std::string name, int64_t v);
  static Attribute Float(std::string name, float v);
  static Attribute String(std::string name, std::string v);
  static Attribute Ints(std::string name, std::vector<int64_t> v);
  static Attribute Floats(std::string name, std::vector<float> v);
};

class Attributes {
 public:
  void Set(Attribute attr);
  const Attribute* Find(const std::string& name) const;
  bool Has(const std::string& name) const { return Find(name) != nullptr; }

  // Typed getters return `fallback` when the attribute is absent. A present attribute of the
  // wrong kind also returns `fallback`; ops that care call Find() and check `kind`.
  int64_t GetInt(const std::string& name, int64_t fallback) const;
  float GetFloat(const std::string& name, float fallback) const;
  std::string GetString(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> GetInts(const std::string& name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> GetFloats(const std::string& name, std::vector<float> fallback = {}) const;
  std::vector<std::string> GetStrings(const std::string& name) const;

  const std::vector<Attribute>& all() const { return attrs_; }

 private:
  std::vector<Attribute> attrs_;  // few per node: a linear scan beats a map
};

}  // namespace kinglet::ir
