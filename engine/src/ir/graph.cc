#include "ir/graph.h"

#include <string>
#include <vector>

#include "runtime/status_format.h"

namespace kinglet::ir {

const char* EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::kDenseRaw: return "dense";
    case Encoding::kCompressed: return "compressed";
  }
  return "unknown";
}

int32_t Graph::AddValue(Value value) {
  values.push_back(std::move(value));
  return static_cast<int32_t>(values.size() - 1);
}

int32_t Graph::FindValue(const std::string& name) const {
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].name == name) return static_cast<int32_t>(i);
  }
  return kNoValue;
}

std::string ValidateGraph(const Graph& graph) {
  const int32_t n = static_cast<int32_t>(graph.values.size());
  auto in_range = [n](int32_t v) { return v >= 0 && v < n; };
  // available[v]: v has been produced (input, constant, or an earlier node's output).
  std::vector<char> available(n, 0);
  for (int32_t v : graph.inputs) {
    if (!in_range(v)) return FormatMessage("graph input index {} out of range", v);
    if (available[v]) return FormatMessage("value '{}' is listed as input twice", graph.values[v].name);
    available[v] = 1;
  }
  for (const auto& [v, tensor] : graph.constants) {
    if (!in_range(v)) return FormatMessage("constant index {} out of range", v);
    if (available[v]) return FormatMessage("value '{}' is both input and constant", graph.values[v].name);
    const Value& value = graph.values[v];
    if (tensor.dtype() != value.dtype || tensor.shape() != value.shape) {
      return FormatMessage("constant '{}' does not match its declared dtype/shape", value.name);
    }
    available[v] = 1;
  }
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    for (int32_t v : node.inputs) {
      if (v == kNoValue) continue;
      if (!in_range(v)) return FormatMessage("node '{}' reads value index out of range", node.name);
      if (!available[v]) {
        return FormatMessage(
            "node '{}' reads '{}' before it is produced (nodes must be in topological order)", node.name,
            graph.values[v].name);
      }
    }
    for (int32_t v : node.outputs) {
      if (v == kNoValue) continue;
      if (!in_range(v)) return FormatMessage("node '{}' writes value index out of range", node.name);
      if (available[v]) return FormatMessage("value '{}' is produced twice", graph.values[v].name);
      available[v] = 1;
    }
  }
  for (int32_t v : graph.outputs) {
    if (!in_range(v)) return FormatMessage("graph output index {} out of range", v);
    if (!available[v]) return FormatMessage("graph output '{}' is never produced", graph.values[v].name);
  }
  return "";
}

}  // namespace kinglet::ir
