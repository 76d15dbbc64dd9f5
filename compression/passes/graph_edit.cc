#include "passes/graph_edit.h"

#include <algorithm>
#include <map>
#include <unordered_set>
#include <utility>

namespace kinglet::compression::passes {

ConsumerMap::ConsumerMap(const ir::Graph& graph)
    : uses_(graph.values.size()), graph_output_count_(graph.values.size(), 0) {
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
      const int32_t v = node.inputs[slot];
      if (v >= 0 && static_cast<size_t>(v) < uses_.size()) uses_[v].push_back({n, slot});
    }
  }
  for (int32_t v : graph.outputs) {
    if (v >= 0 && static_cast<size_t>(v) < uses_.size()) ++graph_output_count_[v];
  }
}

const std::vector<ValueUse>& ConsumerMap::Uses(int32_t value) const {
  static const std::vector<ValueUse> kNone;
  if (value < 0 || static_cast<size_t>(value) >= uses_.size()) return kNone;
  return uses_[value];
}

bool ConsumerMap::IsGraphOutput(int32_t value) const {
  return value >= 0 && static_cast<size_t>(value) < uses_.size() && graph_output_count_[value] > 0;
}

size_t ConsumerMap::UseCount(int32_t value) const {
  if (value < 0 || static_cast<size_t>(value) >= uses_.size()) return 0;
  return uses_[value].size() + static_cast<size_t>(graph_output_count_[value]);
}

bool ConsumerMap::HasSingleNodeUse(int32_t value) const {
  return Uses(value).size() == 1 && !IsGraphOutput(value);
}

std::vector<int32_t> ProducerMap(const ir::Graph& graph) {
  std::vector<int32_t> producers(graph.values.size(), -1);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    for (int32_t v : graph.nodes[n].outputs) {
      if (v >= 0 && static_cast<size_t>(v) < producers.size()) producers[v] = static_cast<int32_t>(n);
    }
  }
  return producers;
}

bool IsGraphInput(const ir::Graph& graph, int32_t value) {
  return std::find(graph.inputs.begin(), graph.inputs.end(), value) != graph.inputs.end();
}

bool IsGraphOutput(const ir::Graph& graph, int32_t value) {
  return std::find(graph.outputs.begin(), graph.outputs.end(), value) != graph.outputs.end();
}

const Tensor* FindConstant(const ir::Graph& graph, int32_t value) {
  auto it = graph.constants.find(value);
  return it == graph.constants.end() ? nullptr : &it->second;
}

void ReplaceUses(ir::Graph* graph, int32_t from, int32_t to) {
  for (ir::Node& node : graph->nodes) {
    for (int32_t& v : node.inputs) {
      if (v == from) v = to;
    }
  }
}

std::string UniqueValueName(const ir::Graph& graph, const std::string& base) {
  std::unordered_set<std::string> taken;
  for (const ir::Value& value : graph.values) taken.insert(value.name);
  std::string name = base;
  for (int n = 1; taken.count(name); ++n) name = base + "_" + std::to_string(n);
  return name;
}

int32_t AddConstant(ir::Graph* graph, const std::string& base_name, Tensor tensor) {
  ir::Value value;
  value.name = UniqueValueName(*graph, base_name);
  const int32_t index = graph->AddValue(std::move(value));
  SetConstant(graph, index, std::move(tensor));
  return index;
}

void SetConstant(ir::Graph* graph, int32_t value, Tensor tensor) {
  ir::Value& decl = graph->values[value];
  decl.dtype = tensor.dtype();
  decl.shape = tensor.shape();
  decl.shape_known = true;
  graph->constants[value] = std::move(tensor);
  graph->constant_encoding[value] = ir::Encoding::kDenseRaw;
  graph->constant_storage.erase(value);  // new data: how the old one was stored no longer applies
}

void RemoveNodes(ir::Graph* graph, const std::vector<bool>& remove) {
  size_t kept = 0;
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    if (i < remove.size() && remove[i]) continue;
    if (kept != i) graph->nodes[kept] = std::move(graph->nodes[i]);
    ++kept;
  }
  graph->nodes.resize(kept);
}

size_t CompactValues(ir::Graph* graph) {
  const size_t n = graph->values.size();
  std::vector<char> read(n, 0);  // read by a node or listed as a graph output
  std::vector<char> referenced(n, 0);
  auto mark = [n](std::vector<char>& flags, int32_t v) {
    if (v >= 0 && static_cast<size_t>(v) < n) flags[v] = 1;
  };
  for (const ir::Node& node : graph->nodes) {
    for (int32_t v : node.inputs) mark(read, v);
    for (int32_t v : node.outputs) mark(referenced, v);
  }
  for (int32_t v : graph->outputs) mark(read, v);
  for (int32_t v : graph->inputs) mark(referenced, v);
  for (auto it = graph->constants.begin(); it != graph->constants.end();) {
    if (it->first >= 0 && static_cast<size_t>(it->first) < n && read[it->first]) {
      ++it;
      continue;
    }
    graph->constant_encoding.erase(it->first);
    graph->constant_storage.erase(it->first);
    it = graph->constants.erase(it);
  }
  for (auto it = graph->constant_encoding.begin(); it != graph->constant_encoding.end();) {
    it = graph->constants.count(it->first) ? std::next(it) : graph->constant_encoding.erase(it);
  }
  for (auto it = graph->constant_storage.begin(); it != graph->constant_storage.end();) {
    it = graph->constants.count(it->first) ? std::next(it) : graph->constant_storage.erase(it);
  }
  for (const auto& entry : graph->constants) mark(referenced, entry.first);

  std::vector<int32_t> new_index(n, ir::kNoValue);
  int32_t next = 0;
  for (size_t v = 0; v < n; ++v) {
    if (read[v] || referenced[v]) new_index[v] = next++;
  }
  const size_t dropped = n - static_cast<size_t>(next);
  if (dropped > 0) RenumberValues(graph, new_index);
  return dropped;
}

void RenumberValues(ir::Graph* graph, const std::vector<int32_t>& new_index) {
  auto map = [&new_index](int32_t v) {
    if (v < 0 || static_cast<size_t>(v) >= new_index.size()) return v;
    return new_index[v];
  };
  for (ir::Node& node : graph->nodes) {
    for (int32_t& v : node.inputs) v = map(v);
    for (int32_t& v : node.outputs) v = map(v);
  }
  for (int32_t& v : graph->inputs) v = map(v);
  for (int32_t& v : graph->outputs) v = map(v);

  std::map<int32_t, Tensor> constants;
  for (auto& [v, tensor] : graph->constants) {
    if (map(v) != ir::kNoValue) constants.emplace(map(v), std::move(tensor));
  }
  graph->constants = std::move(constants);
  std::map<int32_t, ir::Encoding> encodings;
  for (const auto& [v, encoding] : graph->constant_encoding) {
    if (map(v) != ir::kNoValue) encodings.emplace(map(v), encoding);
  }
  graph->constant_encoding = std::move(encodings);
  std::map<int32_t, ir::StoredConstant> storage;
  for (auto& [v, stored] : graph->constant_storage) {
    if (map(v) != ir::kNoValue) storage.emplace(map(v), std::move(stored));
  }
  graph->constant_storage = std::move(storage);

  size_t survivors = 0;
  for (int32_t idx : new_index) survivors += idx != ir::kNoValue;
  std::vector<ir::Value> values(survivors);
  for (size_t v = 0; v < graph->values.size() && v < new_index.size(); ++v) {
    if (new_index[v] != ir::kNoValue) values[new_index[v]] = std::move(graph->values[v]);
  }
  graph->values = std::move(values);
}

}  // namespace kinglet::compression::passes
