#include <algorithm>
#include <cstring>
#include <iterator>

#include "ops/op.h"
#include "ops/op_list.h"

namespace kinglet::ops {

#define KINGLET_DECLARE_FACTORY(op_type, factory) std::unique_ptr<Op> factory();
KINGLET_OP_LIST(KINGLET_DECLARE_FACTORY)
#undef KINGLET_DECLARE_FACTORY

namespace {

struct Entry {
  const char* op_type;
  OpFactory factory;
};

#define KINGLET_REGISTRY_ENTRY(op_type, factory) {#op_type, &factory},
constexpr Entry kRegistry[] = {KINGLET_OP_LIST(KINGLET_REGISTRY_ENTRY)};
#undef KINGLET_REGISTRY_ENTRY

}  // namespace

OpFactory FindOp(const std::string& op_type) {
  for (const Entry& e : kRegistry) {
    if (op_type == e.op_type) return e.factory;
  }
  return nullptr;
}

std::vector<std::string> RegisteredOps() {
  std::vector<std::string> names;
  for (const Entry& e : kRegistry) names.emplace_back(e.op_type);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace kinglet::ops
