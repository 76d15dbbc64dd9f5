// Graph surgery shared by the xqueeze passes: who reads a value, rewiring readers, removing
// nodes, adding constants, and compacting value indices once the edits are done.
//
// Passes edit in two steps: mark and rewire (node indices and value indices stay put, so maps
// built at the start stay meaningful), then RemoveNodes / CompactValues once at the end. The
// graph stays topologically ordered as long as a rewire only makes a node read a value that
// is produced before it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kinglet/tensor.h"

namespace kinglet::compression::passes {

// One read of a value: node `node` reads it as its input number `slot`.
struct ValueUse {
  size_t node = 0;
  size_t slot = 0;
};

// Who reads each value: node inputs and graph outputs. A snapshot; rebuild after rewiring.
class ConsumerMap {
 public:
  explicit ConsumerMap(const ir::Graph& graph);

  // Node inputs reading `value`, in node order (a node reading it twice appears twice).
  const std::vector<ValueUse>& Uses(int32_t value) const;
  bool IsGraphOutput(int32_t value) const;
  // Node reads plus graph-output listings; 0 means nothing needs the value.
  size_t UseCount(int32_t value) const;
  // True when exactly one node input reads `value` and it is not a graph output.
  bool HasSingleNodeUse(int32_t value) const;

 private:
  std::vector<std::vector<ValueUse>> uses_;
  std::vector<int> graph_output_count_;
};

// producers[v] is the index of the node writing value v, or -1 (graph input, constant, unused).
std::vector<int32_t> ProducerMap(const ir::Graph& graph);

bool IsGraphInput(const ir::Graph& graph, int32_t value);
bool IsGraphOutput(const ir::Graph& graph, int32_t value);
// The constant's data, or nullptr when `value` is not a constant (kNoValue included).
const Tensor* FindConstant(const ir::Graph& graph, int32_t value);

// Makes every node input that reads `from` read `to` instead. Graph outputs are untouched:
// their names are a public contract, so a pass that retires a graph-output value must move
// its producer instead (see the remove_identity pass).
void ReplaceUses(ir::Graph* graph, int32_t from, int32_t to);

// `base`, or `base_1`, `base_2`, ... : the first that no value is called yet.
std::string UniqueValueName(const ir::Graph& graph, const std::string& base);

// Adds a dense constant under a fresh name derived from `base_name`; returns its value index.
int32_t AddConstant(ir::Graph* graph, const std::string& base_name, Tensor tensor);
// Makes `value` a dense constant holding `tensor`, updating its declared dtype and shape.
void SetConstant(ir::Graph* graph, int32_t value, Tensor tensor);

// Removes the nodes with remove[i] set, keeping the others in order.
void RemoveNodes(ir::Graph* graph, const std::vector<bool>& remove);

// Drops every constant no node reads and that is not a graph output, then every value nothing
// refers to (graph inputs always stay: callers feed them by name), and renumbers the rest
// densely in their old order. Returns the number of values dropped.
size_t CompactValues(ir::Graph* graph);

// Renumbers values: new_index[v] is v's new index, or kNoValue to drop v. Dropped values must
// not be referenced; surviving indices must be a permutation of 0..survivors-1. Rewrites node
// inputs/outputs, graph inputs/outputs, constants, constant_encoding and constant_storage.
void RenumberValues(ir::Graph* graph, const std::vector<int32_t>& new_index);

}  // namespace kinglet::compression::passes
