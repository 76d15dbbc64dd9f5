#include "passes/neuron_pruning.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <set>
#include <string>
#include <utility>

#include "passes/graph_edit.h"

namespace kinglet::compression::passes {
namespace {

// The channels removed from one value. Works in two phases: TraceRemovals computes a plan for
// every value the removed channels reach (no edits, so a refusal leaves nothing half done and
// the saliency can trace single channels cheaply); ApplyPlans then edits constants, attributes
// and shapes.
struct ChannelPlan {
  int64_t channels = 0;          // size of the channel axis before pruning
  std::vector<int64_t> removed;  // sorted, unique
  int axis = 1;                  // the channel axis
  int rank = -1;                 // -1: unknown
  std::string origin;            // a producer the channels come from, for messages
};
using PlanMap = std::map<int32_t, ChannelPlan>;

bool IsChannelwiseUnary(const std::string& op) {
  static const std::set<std::string> kOps = {"Relu",
                                             "LeakyRelu",
                                             "Sigmoid",
                                             "Tanh",
                                             "HardSigmoid",
                                             "HardSwish",
                                             "Elu",
                                             "Clip",
                                             "Identity",
                                             "Dropout",
                                             "BatchNormalization",
                                             "MaxPool",
                                             "AveragePool",
                                             "GlobalAveragePool",
                                             "GlobalMaxPool"};
  return kOps.count(op) > 0;
}
bool IsSpatialOp(const std::string& op) {
  return op == "BatchNormalization" || op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" ||
         op == "GlobalMaxPool";
}
bool IsBinaryElementwise(const std::string& op) {
  return op == "Add" || op == "Sub" || op == "Mul" || op == "Div";
}
bool IsContracting(const std::string& op) { return op == "Conv" || op == "Gemm" || op == "MatMul"; }

std::string Label(const ir::Node& node) { return "node '" + node.name + "' (" + node.op_type + ")"; }

const Tensor* FloatConstant(const ir::Graph& graph, int32_t v) {
  const Tensor* t = FindConstant(graph, v);
  return t != nullptr && t->dtype() == DataType::kFloat32 ? t : nullptr;
}
int32_t InputAt(const ir::Node& node, size_t slot) {
  return slot < node.inputs.size() ? node.inputs[slot] : ir::kNoValue;
}

// Rank of a value: declared, or derived from its producer (graphs built in memory often leave
// intermediate shapes undeclared). -1 when unknown.
class RankOracle {
 public:
  explicit RankOracle(const ir::Graph& graph) : graph_(graph), producers_(ProducerMap(graph)) {}

  int Rank(int32_t v) {
    if (v < 0 || static_cast<size_t>(v) >= graph_.values.size()) return -1;
    if (const Tensor* t = FindConstant(graph_, v)) return static_cast<int>(t->shape().size());
    const ir::Value& value = graph_.values[v];
    if (value.shape_known) return static_cast<int>(value.shape.size());
    auto it = memo_.find(v);
    if (it != memo_.end()) return it->second;
    memo_[v] = -1;  // no cycles in a valid graph; guards a malformed one
    int rank = -1;
    if (producers_[v] >= 0) {
      const ir::Node& node = graph_.nodes[producers_[v]];
      const std::string& op = node.op_type;
      if (op == "Gemm" || op == "Flatten") {
        rank = 2;
      } else if (op == "Conv") {
        rank = Rank(InputAt(node, 1));
      } else if (op == "MatMul" || IsBinaryElementwise(op) || op == "PRelu") {
        rank = std::max(Rank(InputAt(node, 0)), Rank(InputAt(node, 1)));
        if (op == "MatMul" && Rank(InputAt(node, 0)) == 1) rank = 1;
      } else if (IsChannelwiseUnary(op) || op == "Concat") {
        rank = Rank(InputAt(node, 0));
      }
    }
    memo_[v] = rank;
    return rank;
  }

 private:
  const ir::Graph& graph_;
  std::vector<int32_t> producers_;
  std::map<int32_t, int> memo_;
};

Status Refuse(const ChannelPlan& plan, const ir::Node& node, const std::string& why) {
  return Status::Unsupported("pruning channels of node '" + plan.origin + "': they reach " + Label(node) +
                             ", " + why +
                             "; leave that producer out of the removals (or prune what it joins alike)");
}

// Declared dim `axis` of value `v`, or -1.
int64_t DeclaredDim(const ir::Graph& graph, int32_t v, int axis) {
  if (const Tensor* t = FindConstant(graph, v)) {
    return axis >= 0 && static_cast<size_t>(axis) < t->shape().size() ? t->shape()[axis] : -1;
  }
  const ir::Value& value = graph.values[v];
  if (!value.shape_known || axis < 0 || static_cast<size_t>(axis) >= value.shape.size()) return -1;
  return value.shape[axis];
}

// Where a constant operand of an elementwise op meets the channel axis: its axis index, or -1
// when it broadcasts over channels. False when it cannot be sliced per channel.
bool ConstantChannelAxis(const Tensor& constant, const ChannelPlan& plan, int* axis) {
  const Shape& cs = constant.shape();
  const int r = static_cast<int>(cs.size());
  const bool all_ones = std::all_of(cs.begin(), cs.end(), [](int64_t d) { return d == 1; });
  if (all_ones) {
    *axis = -1;
    return plan.rank < 0 || r <= plan.rank;
  }
  if (plan.rank < 0 || r > plan.rank) return false;
  const int p = plan.axis - (plan.rank - r);
  if (p < 0 || cs[p] == 1) {
    *axis = -1;
    return true;
  }
  *axis = p;
  return cs[p] == plan.channels;
}

// The plan for a producer's own output when `removed` of its channels go.
Status ProducerPlan(const ir::Graph& graph, RankOracle& ranks, const ir::Node& node,
                    const std::vector<int64_t>& removed, ChannelPlan* out) {
  const Tensor* w = FloatConstant(graph, InputAt(node, 1));
  if (w == nullptr) return Status::InvalidArgument(Label(node) + ": the weight is not a float32 constant");
  const Shape& ws = w->shape();
  out->origin = node.name;
  if (node.op_type == "Conv") {
    if (ws.size() < 3)
      return Status::InvalidArgument(Label(node) + ": weight rank " + std::to_string(ws.size()));
    if (node.attrs.GetInt("group", 1) != 1) {
      return Status::Unsupported(Label(node) + ": grouped conv as a producer (group " +
                                 std::to_string(node.attrs.GetInt("group", 1)) +
                                 "); prune the conv feeding it instead, its channels shrink along");
    }
    out->channels = ws[0];
    out->axis = 1;
    out->rank = static_cast<int>(ws.size());
    const int32_t b = InputAt(node, 2);
    if (b != ir::kNoValue) {
      const Tensor* bias = FloatConstant(graph, b);
      if (bias == nullptr || bias->element_count() != ws[0]) {
        return Status::Unsupported(Label(node) + ": the bias is not a float32 constant of " +
                                   std::to_string(ws[0]));
      }
    }
  } else if (node.op_type == "Gemm") {
    if (ws.size() != 2) return Status::InvalidArgument(Label(node) + ": B must be 2-D");
    const bool trans_b = node.attrs.GetInt("transB", 0) != 0;
    out->channels = ws[trans_b ? 0 : 1];
    out->axis = 1;
    out->rank = 2;
    const int32_t c = InputAt(node, 2);
    if (c != ir::kNoValue) {
      const Tensor* bias = FloatConstant(graph, c);
      if (bias == nullptr || bias->shape().size() > 2 ||
          (!bias->shape().empty() && bias->shape().back() != 1 && bias->shape().back() != out->channels)) {
        return Status::Unsupported(Label(node) + ": C is not a float32 constant broadcast per column");
      }
    }
  } else if (node.op_type == "MatMul") {
    if (ws.size() != 2) return Status::Unsupported(Label(node) + ": only a constant 2-D B is supported");
    const int rank_a = ranks.Rank(InputAt(node, 0));
    if (rank_a < 1) return Status::Unsupported(Label(node) + ": the rank of input A is unknown");
    out->channels = ws[1];
    out->rank = std::max(rank_a, rank_a == 1 ? 1 : 2);
    out->axis = out->rank - 1;
  } else {
    return Status::InvalidArgument(Label(node) + ": only Conv, Gemm and MatMul channels can be pruned");
  }
  out->removed = removed;
  std::sort(out->removed.begin(), out->removed.end());
  for (size_t i = 0; i < out->removed.size(); ++i) {
    const int64_t c = out->removed[i];
    if (c < 0 || c >= out->channels) {
      return Status::InvalidArgument(Label(node) + ": channel " + std::to_string(c) +
                                     " is out of range [0, " + std::to_string(out->channels) + ")");
    }
    if (i > 0 && out->removed[i - 1] == c) {
      return Status::InvalidArgument(Label(node) + ": channel " + std::to_string(c) + " is listed twice");
    }
  }
  return Status::Ok();
}

// A layer contracting over the channels of its input `in`. Sets *out for a depthwise conv (its
// output channels go along), leaves it empty otherwise.
Status ContractingConsumer(const ir::Graph& graph, const ir::Node& node, const ChannelPlan& in,
                           ChannelPlan* out, bool* has_out) {
  *has_out = false;
  const Tensor* w = FloatConstant(graph, InputAt(node, 1));
  if (w == nullptr) return Refuse(in, node, "whose weight is not a float32 constant");
  const Shape& ws = w->shape();
  if (node.op_type == "Conv") {
    if (in.axis != 1 || ws.size() < 3) return Refuse(in, node, "which does not read channels on axis 1");
    const int64_t group = node.attrs.GetInt("group", 1);
    if (group == 1) {
      if (ws[1] != in.channels)
        return Refuse(in, node,
                      "whose weight does not have " + std::to_string(in.channels) + " input channels");
      return Status::Ok();
    }
    if (group != in.channels || ws[1] != 1 || ws[0] % group != 0) {
      return Refuse(in, node, "a grouped conv that is not depthwise (group " + std::to_string(group) + ")");
    }
    const int32_t b = InputAt(node, 2);
    if (b != ir::kNoValue) {
      const Tensor* bias = FloatConstant(graph, b);
      if (bias == nullptr || bias->element_count() != ws[0])
        return Refuse(in, node, "whose bias is not constant");
    }
    const int64_t multiplier = ws[0] / group;
    out->channels = ws[0];
    out->axis = 1;
    out->rank = static_cast<int>(ws.size());
    out->origin = in.origin;
    out->removed.clear();
    for (int64_t c : in.removed) {
      for (int64_t j = 0; j < multiplier; ++j) out->removed.push_back(c * multiplier + j);
    }
    *has_out = true;
    return Status::Ok();
  }
  if (ws.size() != 2) return Refuse(in, node, "whose weight is not 2-D");
  if (node.op_type == "Gemm") {
    if (node.attrs.GetInt("transA", 0) != 0) return Refuse(in, node, "with transA=1");
    if (in.axis != 1 || in.rank != 2)
      return Refuse(in, node, "which reads a value whose channels are not its columns");
    const int64_t k = ws[node.attrs.GetInt("transB", 0) != 0 ? 1 : 0];
    if (k != in.channels)
      return Refuse(in, node, "whose B does not have " + std::to_string(in.channels) + " inputs");
    return Status::Ok();
  }
  // MatMul: A [..., K] x B [K, N].
  if (in.rank < 1 || in.axis != in.rank - 1)
    return Refuse(in, node, "which reads a value whose channels are not its last axis");
  if (ws[0] != in.channels)
    return Refuse(in, node, "whose B does not have " + std::to_string(in.channels) + " rows");
  return Status::Ok();
}

// Computes the plan of every value the removed channels reach, refusing what cannot be
// rewritten. Nodes are in topological order, so one forward sweep sees each value's plan
// before its readers.
Status TraceRemovals(const ir::Graph& graph, const std::map<int32_t, std::vector<int64_t>>& removals,
                     PlanMap* plans) {
  plans->clear();
  const ConsumerMap consumers(graph);
  RankOracle ranks(graph);
  for (const auto& [n, removed] : removals) {
    if (n < 0 || static_cast<size_t>(n) >= graph.nodes.size()) {
      return Status::InvalidArgument("removals name node " + std::to_string(n) + "; the graph has " +
                                     std::to_string(graph.nodes.size()) + " nodes");
    }
  }
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    std::vector<size_t> planned_slots;
    for (size_t s = 0; s < node.inputs.size(); ++s) {
      if (plans->count(node.inputs[s])) planned_slots.push_back(s);
    }
    auto producer = removals.find(static_cast<int32_t>(n));
    const bool is_producer = producer != removals.end() && !producer->second.empty();
    if (planned_slots.empty() && !is_producer) continue;
    if (node.outputs.empty() || node.outputs[0] == ir::kNoValue) {
      return Status::InvalidArgument(Label(node) + " has no output");
    }
    ChannelPlan out;
    bool has_out = false;
    if (!planned_slots.empty()) {
      const ChannelPlan& in = plans->at(node.inputs[planned_slots[0]]);
      const std::string& op = node.op_type;
      const bool only_first = planned_slots.size() == 1 && planned_slots[0] == 0;
      if (IsContracting(op)) {
        if (!only_first) return Refuse(in, node, "as an input other than its data input");
        KINGLET_RETURN_IF_ERROR(ContractingConsumer(graph, node, in, &out, &has_out));
      } else if (IsChannelwiseUnary(op)) {
        if (!only_first) return Refuse(in, node, "as an input other than its data input");
        for (size_t k = 1; k < node.outputs.size(); ++k) {
          if (node.outputs[k] != ir::kNoValue && consumers.UseCount(node.outputs[k]) > 0) {
            return Refuse(in, node, "whose extra output " + std::to_string(k) + " is used");
          }
        }
        if (IsSpatialOp(op) && in.axis != 1) return Refuse(in, node, "which keeps channels on axis 1 only");
        if (op == "BatchNormalization") {
          if (node.inputs.size() != 5) return Refuse(in, node, "without its 4 statistics inputs");
          for (size_t s = 1; s < 5; ++s) {
            const Tensor* t = FloatConstant(graph, node.inputs[s]);
            if (t == nullptr || t->shape().size() != 1 || t->shape()[0] != in.channels) {
              return Refuse(in, node, "whose statistics are not constant per channel");
            }
          }
        }
        out = in;
        has_out = true;
      } else if (op == "Flatten") {
        int64_t axis = node.attrs.GetInt("axis", 1);
        if (axis < 0 && in.rank >= 0) axis += in.rank;
        if (axis != 1 || in.axis != 1)
          return Refuse(in, node, "which does not flatten from the channel axis");
        const int32_t x = node.inputs[0];
        const ir::Value& xv = graph.values[x];
        if (!xv.shape_known || static_cast<int>(xv.shape.size()) < 2) {
          return Refuse(in, node, "whose input shape is not declared (needed for the features per channel)");
        }
        int64_t inner = 1;
        for (size_t d = 2; d < xv.shape.size(); ++d) {
          if (xv.shape[d] < 0) return Refuse(in, node, "whose input has an unknown spatial size");
          inner *= xv.shape[d];
        }
        out = in;
        out.channels = in.channels * inner;
        out.rank = 2;
        out.removed.clear();
        for (int64_t c : in.removed) {
          for (int64_t k = 0; k < inner; ++k) out.removed.push_back(c * inner + k);
        }
        has_out = true;
      } else if (IsBinaryElementwise(op) || op == "PRelu") {
        if (node.inputs.size() != 2) return Refuse(in, node, "with other than 2 inputs");
        if (planned_slots.size() == 2) {
          const ChannelPlan& other = plans->at(node.inputs[1]);
          if (op == "PRelu" || other.removed != in.removed || other.channels != in.channels ||
              other.rank - other.axis != in.rank - in.axis) {
            return Refuse(in, node, "a join whose two sides lose different channels");
          }
        } else {
          const int32_t other = node.inputs[1 - planned_slots[0]];
          const Tensor* constant = FloatConstant(graph, other);
          if (constant == nullptr) {
            return Refuse(in, node,
                          "a join with '" + graph.values[other].name + "', which keeps all its channels");
          }
          if (op == "PRelu" && planned_slots[0] != 0) return Refuse(in, node, "as its slope");
          int axis = -1;
          if (!ConstantChannelAxis(*constant, in, &axis)) {
            return Refuse(in, node,
                          "whose constant " + ShapeToString(constant->shape()) + " is not per channel");
          }
        }
        out = in;
        has_out = true;
      } else if (op == "Concat") {
        int64_t axis = node.attrs.GetInt("axis", 1);
        if (axis < 0 && in.rank >= 0) axis += in.rank;
        int64_t offset = 0;
        out = in;
        out.removed.clear();
        for (int32_t v : node.inputs) {
          auto it = plans->find(v);
          int64_t channels = 0;
          if (it != plans->end()) {
            if (it->second.axis != axis || it->second.rank != in.rank) {
              return Refuse(in, node, "which does not concatenate along the channel axis");
            }
            channels = it->second.channels;
            for (int64_t c : it->second.removed) out.removed.push_back(offset + c);
          } else {
            channels = DeclaredDim(graph, v, static_cast<int>(axis));
            if (channels < 0)
              return Refuse(in, node, "whose input '" + graph.values[v].name + "' has an undeclared shape");
          }
          offset += channels;
        }
        out.channels = offset;
        has_out = true;
      } else {
        return Refuse(in, node, "which does not keep channels in place");
      }
    }
    if (is_producer) {
      if (has_out) {
        return Status::Unsupported(Label(node) +
                                   " is both pruned and a depthwise conv whose channels shrink along "
                                   "with its input; leave it out of the removals");
      }
      KINGLET_RETURN_IF_ERROR(ProducerPlan(graph, ranks, node, producer->second, &out));
      has_out = true;
    }
    if (!has_out || out.removed.empty()) continue;
    const int32_t y = node.outputs[0];
    if (consumers.IsGraphOutput(y)) {
      return Status::Unsupported("pruning channels of node '" + out.origin + "': they reach graph output '" +
                                 graph.values[y].name +
                                 "', whose shape is a public contract; prune an earlier layer");
    }
    const int64_t declared = DeclaredDim(graph, y, out.axis);
    if (declared >= 0 && declared != out.channels) {
      return Status::InvalidArgument("value '" + graph.values[y].name + "' declares " +
                                     std::to_string(declared) + " channels on axis " +
                                     std::to_string(out.axis) + ", but " + std::to_string(out.channels) +
                                     " flow into it from " + Label(node));
    }
    (*plans)[y] = std::move(out);
  }
  return Status::Ok();
}

// `t` without the indices `removed` (sorted) along `axis`; a new buffer (the graph copy shares
// the original's tensors, and dense constants may view the artifact's bytes).
Tensor RemoveIndices(const Tensor& t, int axis, const std::vector<int64_t>& removed) {
  const Shape& shape = t.shape();
  int64_t outer = 1;
  int64_t inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t n = shape[axis];
  std::vector<int64_t> keep;
  size_t r = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (r < removed.size() && removed[r] == i) {
      ++r;
      continue;
    }
    keep.push_back(i);
  }
  Shape new_shape = shape;
  new_shape[axis] = static_cast<int64_t>(keep.size());
  Tensor result(t.dtype(), new_shape);
  const size_t row_bytes = static_cast<size_t>(inner) * DataTypeSize(t.dtype());
  const auto* src = static_cast<const uint8_t*>(t.raw_data());
  auto* dst = static_cast<uint8_t*>(result.raw_data());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k : keep) {
      std::memcpy(dst, src + (o * n + k) * row_bytes, row_bytes);
      dst += row_bytes;
    }
  }
  return result;
}

// Edits constants, attributes and declared shapes according to `plans`.
class PlanApplier {
 public:
  PlanApplier(ir::Graph* graph, const PlanMap& plans) : graph_(graph), plans_(plans), consumers_(*graph) {}

  void Apply(const std::map<int32_t, std::vector<int64_t>>& removals, NeuronPruneReport* report) {
    for (size_t n = 0; n < graph_->nodes.size(); ++n) {
      const ir::Node& node = graph_->nodes[n];
      const ChannelPlan* in = node.inputs.empty() ? nullptr : Find(node.inputs[0]);
      const ChannelPlan* out = node.outputs.empty() ? nullptr : Find(node.outputs[0]);
      auto producer = removals.find(static_cast<int32_t>(n));
      const bool is_producer = producer != removals.end() && !producer->second.empty();
      bool rewritten = false;
      const std::string op = node.op_type;
      if (in != nullptr && IsContracting(op)) {
        SliceInputChannels(n, *in, out);
        rewritten = true;
      }
      if (is_producer) {
        SliceOutputChannels(n, *out);
        rewritten = true;
      }
      if (op == "BatchNormalization" && out != nullptr) {
        for (size_t s = 1; s < 5; ++s) Slice(n, s, 0, out->removed);
        rewritten = true;
      }
      if ((IsBinaryElementwise(op) || op == "PRelu") && out != nullptr) {
        for (size_t s = 0; s < graph_->nodes[n].inputs.size(); ++s) {
          const Tensor* constant = FloatConstant(*graph_, graph_->nodes[n].inputs[s]);
          int axis = -1;
          if (constant == nullptr || !ConstantChannelAxis(*constant, *out, &axis) || axis < 0) continue;
          Slice(n, s, axis, out->removed);
          rewritten = true;
        }
      }
      report->nodes_rewritten += rewritten;
    }
    for (const auto& [v, plan] : plans_) {
      ir::Value& value = graph_->values[v];
      if (!value.shape_known || static_cast<int>(value.shape.size()) <= plan.axis) continue;
      value.shape[plan.axis] = plan.channels - static_cast<int64_t>(plan.removed.size());
      ++report->values_reshaped;
    }
  }

 private:
  const ChannelPlan* Find(int32_t v) const {
    auto it = plans_.find(v);
    return it == plans_.end() ? nullptr : &it->second;
  }

  // Replaces constant input `slot` of node `n` by itself without `removed` along `axis`. The
  // constant is rewritten in place when this node is its only reader (or the pass made it),
  // else the node gets a copy so other readers keep the original.
  void Slice(size_t n, size_t slot, int axis, const std::vector<int64_t>& removed) {
    const int32_t v = graph_->nodes[n].inputs[slot];
    if (v == ir::kNoValue || removed.empty()) return;
    Tensor sliced = RemoveIndices(*FindConstant(*graph_, v), axis, removed);
    if (owned_.count(v) || consumers_.HasSingleNodeUse(v)) {
      SetConstant(graph_, v, std::move(sliced));
      return;
    }
    const int32_t copy = AddConstant(graph_, graph_->values[v].name + "/pruned", std::move(sliced));
    owned_.insert(copy);
    graph_->nodes[n].inputs[slot] = copy;
  }

  void SliceInputChannels(size_t n, const ChannelPlan& in, const ChannelPlan* out) {
    ir::Node& node = graph_->nodes[n];
    if (node.op_type == "Conv") {
      const int64_t group = node.attrs.GetInt("group", 1);
      if (group == 1) {
        Slice(n, 1, 1, in.removed);
        return;
      }
      // Depthwise: filter c*multiplier + j belongs to input channel c; `out` lists them.
      ir::Attribute attr;
      attr.name = "group";
      attr.kind = ir::Attribute::Kind::kInt;
      attr.i = group - static_cast<int64_t>(in.removed.size());
      node.attrs.Set(attr);
      Slice(n, 1, 0, out->removed);
      if (InputAt(graph_->nodes[n], 2) != ir::kNoValue) Slice(n, 2, 0, out->removed);
      return;
    }
    if (node.op_type == "Gemm") {
      Slice(n, 1, node.attrs.GetInt("transB", 0) != 0 ? 1 : 0, in.removed);
      return;
    }
    Slice(n, 1, 0, in.removed);  // MatMul
  }

  void SliceOutputChannels(size_t n, const ChannelPlan& out) {
    const ir::Node& node = graph_->nodes[n];
    if (node.op_type == "Conv") {
      Slice(n, 1, 0, out.removed);
      if (InputAt(node, 2) != ir::kNoValue) Slice(n, 2, 0, out.removed);
      return;
    }
    if (node.op_type == "Gemm") {
      Slice(n, 1, node.attrs.GetInt("transB", 0) != 0 ? 0 : 1, out.removed);
      const Tensor* c = FloatConstant(*graph_, InputAt(graph_->nodes[n], 2));
      if (c != nullptr && !c->shape().empty() && c->shape().back() == out.channels) {
        Slice(n, 2, static_cast<int>(c->shape().size()) - 1, out.removed);
      }
      return;
    }
    Slice(n, 1, 1, out.removed);  // MatMul
  }

  ir::Graph* graph_;
  const PlanMap& plans_;
  const ConsumerMap consumers_;
  std::set<int32_t> owned_;  // constants this pass created
};

int64_t CountParameters(const ir::Graph& graph) {
  const ConsumerMap consumers(graph);
  int64_t count = 0;
  for (const auto& [v, t] : graph.constants) {
    if (!consumers.Uses(v).empty()) count += t.element_count();
  }
  return count;
}

// Sum of squared weights per input channel of a contracting layer (the weights that go when
// that input channel goes).
std::vector<double> InputChannelSquaredNorms(const ir::Graph& graph, const ir::Node& node, int64_t channels) {
  std::vector<double> norms(static_cast<size_t>(channels), 0.0);
  const Tensor& w = *FindConstant(graph, node.inputs[1]);
  const float* data = w.data<float>();
  const Shape& ws = w.shape();
  if (node.op_type == "Conv") {
    const int64_t group = node.attrs.GetInt("group", 1);
    const int64_t kernel = ElementCount(Shape(ws.begin() + 2, ws.end()));
    for (int64_t m = 0; m < ws[0]; ++m) {
      for (int64_t ci = 0; ci < ws[1]; ++ci) {
        // group 1: input channel ci; depthwise: filter m reads channel m / multiplier.
        const int64_t c = group == 1 ? ci : m / (ws[0] / group);
        for (int64_t k = 0; k < kernel; ++k) {
          const double x = data[(m * ws[1] + ci) * kernel + k];
          norms[c] += x * x;
        }
      }
    }
    return norms;
  }
  const bool rows_are_inputs = node.op_type == "MatMul" || node.attrs.GetInt("transB", 0) == 0;
  for (int64_t r = 0; r < ws[0]; ++r) {
    for (int64_t col = 0; col < ws[1]; ++col) {
      const double x = data[r * ws[1] + col];
      norms[rows_are_inputs ? r : col] += x * x;
    }
  }
  return norms;
}

}  // namespace

Result<NeuronPruneReport> PruneNeurons(ir::Graph* graph,
                                       const std::map<int32_t, std::vector<int64_t>>& removals) {
  PlanMap plans;
  KINGLET_RETURN_IF_ERROR(TraceRemovals(*graph, removals, &plans));
  NeuronPruneReport report;
  for (const auto& [n, removed] : removals) {
    if (removed.empty()) continue;
    const auto it = plans.find(graph->nodes[n].outputs[0]);
    // The producer's plan may hold more than its own channels only if something else joined it,
    // which the trace refuses; its channel count is what the weight says.
    if (it != plans.end() && static_cast<int64_t>(removed.size()) >= it->second.channels) {
      return Status::InvalidArgument(Label(graph->nodes[n]) + ": removing all " +
                                     std::to_string(removed.size()) +
                                     " channels would cut the graph; keep at least one");
    }
    report.channels_removed += static_cast<int64_t>(removed.size());
  }
  report.parameters_before = CountParameters(*graph);
  ir::Graph pruned = *graph;  // tensors are shared; PlanApplier only ever writes new buffers
  PlanApplier(&pruned, plans).Apply(removals, &report);
  CompactValues(&pruned);
  const std::string problem = ir::ValidateGraph(pruned);
  if (!problem.empty()) return Status::Internal("neuron pruning left an invalid graph: " + problem);
  report.parameters_after = CountParameters(pruned);
  *graph = std::move(pruned);
  return report;
}

std::vector<int32_t> CandidatePrunableProducers(const ir::Graph& graph) {
  std::vector<int32_t> candidates;
  PlanMap plans;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    if (!IsContracting(node.op_type)) continue;
    const int32_t id = static_cast<int32_t>(n);
    if (!TraceRemovals(graph, {{id, {0}}}, &plans).ok()) continue;
    auto it = plans.find(node.outputs[0]);
    if (it != plans.end() && it->second.channels >= 2) candidates.push_back(id);
  }
  return candidates;
}

Result<int32_t> SaliencyProbeValue(const ir::Graph& graph, int32_t producer) {
  if (producer < 0 || static_cast<size_t>(producer) >= graph.nodes.size() ||
      graph.nodes[producer].outputs.empty()) {
    return Status::InvalidArgument("node " + std::to_string(producer) + " is not a producer in the graph");
  }
  static const std::set<std::string> kActivations = {"Relu",        "LeakyRelu", "Sigmoid", "Tanh",
                                                     "HardSigmoid", "HardSwish", "Elu",     "Clip"};
  const ConsumerMap consumers(graph);
  int32_t v = graph.nodes[producer].outputs[0];
  if (consumers.HasSingleNodeUse(v)) {
    const ValueUse use = consumers.Uses(v)[0];
    const ir::Node& reader = graph.nodes[use.node];
    if (use.slot == 0 && kActivations.count(reader.op_type) && !reader.outputs.empty()) v = reader.outputs[0];
  }
  return v;
}

Result<std::map<int32_t, std::vector<float>>> ChannelSaliency(const ir::Graph& graph,
                                                              const std::vector<int32_t>& producers,
                                                              const std::vector<Tensor>& captured) {
  if (producers.size() != captured.size()) {
    return Status::InvalidArgument(std::to_string(producers.size()) + " producers but " +
                                   std::to_string(captured.size()) +
                                   " captured activations; give one per producer");
  }
  std::map<int32_t, std::vector<float>> saliency;
  std::map<size_t, std::vector<double>> norms_by_node;  // contracting layer -> per input channel
  PlanMap plans;
  for (size_t i = 0; i < producers.size(); ++i) {
    const int32_t p = producers[i];
    KINGLET_RETURN_IF_ERROR(TraceRemovals(graph, {{p, {0}}}, &plans));
    const ChannelPlan& own = plans.at(graph.nodes[p].outputs[0]);
    const int64_t channels = own.channels;
    const Tensor& a = captured[i];
    const Shape& as = a.shape();
    if (a.dtype() != DataType::kFloat32 || static_cast<int>(as.size()) <= own.axis ||
        as[own.axis] != channels) {
      return Status::InvalidArgument(Label(graph.nodes[p]) + ": captured activation " + ShapeToString(as) +
                                     " does not have " + std::to_string(channels) +
                                     " float32 channels on axis " + std::to_string(own.axis));
    }
    int64_t outer = 1;
    int64_t inner = 1;
    for (int d = 0; d < own.axis; ++d) outer *= as[d];
    for (size_t d = own.axis + 1; d < as.size(); ++d) inner *= as[d];
    std::vector<double> mean_abs(static_cast<size_t>(channels), 0.0);
    const float* data = a.data<float>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t c = 0; c < channels; ++c) {
        const float* row = data + (o * channels + c) * inner;
        double sum = 0;
        for (int64_t k = 0; k < inner; ++k) sum += std::fabs(row[k]);
        mean_abs[c] += sum;
      }
    }
    const double positions = static_cast<double>(std::max<int64_t>(outer * inner, 1));
    std::vector<float>& s = saliency[p];
    s.assign(static_cast<size_t>(channels), 0.0f);
    for (int64_t c = 0; c < channels; ++c) {
      KINGLET_RETURN_IF_ERROR(TraceRemovals(graph, {{p, {c}}}, &plans));
      double outgoing = 0;
      for (size_t n = 0; n < graph.nodes.size(); ++n) {
        const ir::Node& node = graph.nodes[n];
        if (static_cast<int32_t>(n) == p || !IsContracting(node.op_type) || node.inputs.empty()) continue;
        auto in = plans.find(node.inputs[0]);
        if (in == plans.end()) continue;
        auto norms = norms_by_node.find(n);
        if (norms == norms_by_node.end()) {
          norms = norms_by_node.emplace(n, InputChannelSquaredNorms(graph, node, in->second.channels)).first;
        }
        for (int64_t r : in->second.removed) outgoing += norms->second[r];
      }
      s[c] = static_cast<float>(mean_abs[c] / positions * std::sqrt(outgoing));
    }
  }
  return saliency;
}

Result<std::map<int32_t, std::vector<int64_t>>> SelectChannelsToRemove(
    const std::map<int32_t, std::vector<float>>& saliency, const std::map<int32_t, double>& fraction,
    int64_t min_keep) {
  std::map<int32_t, std::vector<int64_t>> removals;
  for (const auto& [p, f] : fraction) {
    if (!(f >= 0.0 && f <= 1.0)) {
      return Status::InvalidArgument("fraction " + std::to_string(f) + " for node " + std::to_string(p) +
                                     " is outside [0, 1]");
    }
    auto s = saliency.find(p);
    if (s == saliency.end()) {
      return Status::InvalidArgument("node " + std::to_string(p) + " has a fraction but no saliency");
    }
    const int64_t channels = static_cast<int64_t>(s->second.size());
    const int64_t most = std::max<int64_t>(channels - std::max<int64_t>(min_keep, 1), 0);
    // The epsilon makes 0.06 * 50 give 3, not 2, despite 0.06 having no exact binary form.
    const int64_t count = std::min<int64_t>(static_cast<int64_t>(std::floor(f * channels + 1e-9)), most);
    if (count <= 0) continue;
    std::vector<int64_t> order(static_cast<size_t>(channels));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&v = s->second](int64_t x, int64_t y) { return v[x] < v[y]; });
    order.resize(static_cast<size_t>(count));
    std::sort(order.begin(), order.end());
    removals[p] = std::move(order);
  }
  return removals;
}

Result<std::map<int32_t, std::vector<int64_t>>> SelectChannelsToRemove(
    const std::map<int32_t, std::vector<float>>& saliency, double fraction, int64_t min_keep) {
  std::map<int32_t, double> fractions;
  for (const auto& entry : saliency) fractions[entry.first] = fraction;
  return SelectChannelsToRemove(saliency, fractions, min_keep);
}

}  // namespace kinglet::compression::passes
