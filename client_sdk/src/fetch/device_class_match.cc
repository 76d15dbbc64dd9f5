#include "fetch/device_class_match.h"

#include <algorithm>
#include <tuple>

#include "json/json_value.h"

namespace kinglet::sdk {

Result<std::vector<DeviceClassRule>> ParseDeviceClasses(const std::string& document) {
  KINGLET_ASSIGN_OR_RETURN(json::Value doc, json::Parse(document));
  const json::Value* list = doc.Find("device_classes");
  if (list == nullptr || !list->is_array()) {
    return Status::InvalidArgument("the server's device class list has no 'device_classes' array");
  }
  std::vector<DeviceClassRule> out;
  for (const json::Value& item : list->array()) {
    const json::Value* name = item.Find("name");
    const json::Value* isa = item.Find("isa");
    const json::Value* features = item.Find("cpu_features");
    const json::Value* ram = item.Find("min_ram_mib");
    if (name == nullptr || !name->is_string() || isa == nullptr || !isa->is_string() || features == nullptr ||
        !features->is_array() || ram == nullptr || !ram->is_integer() || ram->integer() < 0) {
      return Status::InvalidArgument("a device class in the server's list is malformed");
    }
    DeviceClassRule rule{name->string(), isa->string(), {}, static_cast<uint64_t>(ram->integer())};
    for (const json::Value& f : features->array()) {
      if (!f.is_string()) return Status::InvalidArgument("a device class feature is not a string");
      rule.cpu_features.push_back(f.string());
    }
    out.push_back(std::move(rule));
  }
  return out;
}

Result<std::string> MatchDeviceClass(const DeviceInfo& device, const std::vector<DeviceClassRule>& classes) {
  const DeviceClassRule* best = nullptr;
  auto rank = [](const DeviceClassRule& r) {
    return std::make_tuple(!r.isa.empty(), r.cpu_features.size(), r.min_ram_mib);
  };
  for (const DeviceClassRule& rule : classes) {
    if (!rule.isa.empty() && rule.isa != device.isa) continue;
    if (rule.min_ram_mib > device.ram_mib) continue;
    const bool has_all = std::all_of(rule.cpu_features.begin(), rule.cpu_features.end(), [&](const std::string& f) {
      return std::find(device.cpu_features.begin(), device.cpu_features.end(), f) != device.cpu_features.end();
    });
    if (!has_all) continue;
    if (best == nullptr || rank(rule) > rank(*best) || (rank(rule) == rank(*best) && rule.name < best->name)) {
      best = &rule;
    }
  }
  if (best == nullptr) {
    return Status::NotFound("no device class on the server matches this device (" + device.isa + ", " +
                            std::to_string(device.ram_mib) + " MiB); ask the operator to add one, or set "
                            "ClientConfig::device_class");
  }
  return best->name;
}

}  // namespace kinglet::sdk
