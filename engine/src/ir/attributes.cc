#include "ir/attributes.h"

namespace kinglet::ir {

Attribute Attribute::Int(std::string name, int64_t v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kInt;
  a.i = v;
  return a;
}

Attribute Attribute::Float(std::string name, float v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kFloat;
  a.f = v;
  return a;
}

Attribute Attribute::String(std::string name, std::string v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kString;
  a.s = std::move(v);
  return a;
}

Attribute Attribute::Ints(std::string name, std::vector<int64_t> v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kInts;
  a.ints = std::move(v);
  return a;
}

Attribute Attribute::Floats(std::string name, std::vector<float> v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kFloats;
  a.floats = std::move(v);
  return a;
}

void Attributes::Set(Attribute attr) {
  for (auto& existing : attrs_) {
    if (existing.name == attr.name) {
      existing = std::move(attr);
      return;
    }
  }
  attrs_.push_back(std::move(attr));
}

const Attribute* Attributes::Find(const std::string& name) const {
  for (const auto& a : attrs_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

int64_t Attributes::GetInt(const std::string& name, int64_t fallback) const {
  const Attribute* a = Find(name);
  return a && a->kind == Attribute::Kind::kInt ? a->i : fallback;
}

float Attributes::GetFloat(const std::string& name, float fallback) const {
  const Attribute* a = Find(name);
  return a && a->kind == Attribute::Kind::kFloat ? a->f : fallback;
}

std::string Attributes::GetString(const std::string& name, const std::string& fallback) const {
  const Attribute* a = Find(name);
  return a && a->kind == Attribute::Kind::kString ? a->s : fallback;
}

std::vector<int64_t> Attributes::GetInts(const std::string& name, std::vector<int64_t> fallback) const {
  const Attribute* a = Find(name);
  return a && a->kind == Attribute::Kind::kInts ? a->ints : fallback;
}

std::vector<float> Attributes::GetFloats(const std::string& name, std::vector<float> fallback) const {
  const Attribute* a = Find(name);
  return a && a->kind == Attribute::Kind::kFloats ? a->floats : fallback;
}

std::vector<std::string> Attributes::GetStrings(const std::string& name) const {
  const Attribute* a = Find(name);
  return a && a->kind == Attribute::Kind::kStrings ? a->strings : std::vector<std::string>{};
}

}  // namespace kinglet::ir
