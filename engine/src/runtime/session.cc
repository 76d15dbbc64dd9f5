#include "kinglet/session.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "ir/activation_fusion.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "runtime/memory_plan.h"
#include "runtime/status_format.h"
#include "runtime/thread_pool.h"

namespace kinglet {
namespace {

// Graph inputs this small are treated as operands (Slice's starts, Clip's min): their values
// are readable in Prepare and are part of the plan key, so a new value re-plans.
constexpr int64_t kOperandInputMaxElements = 64;
constexpr size_t kArenaAlignment = 64;
constexpr int kMaxThreads = 256;

struct ArenaDeleter {
  void operator()(void* p) const { std::free(p); }
};

}  // namespace

class Session::Impl {
 public:
  Impl(std::shared_ptr<const Model> model, const SessionOptions& options)
      : model_(std::move(model)), graph_(model_->graph()), options_(options), pool_(ThreadCount(options)) {}

  Status Init() {
    // Load-time fusion on the session's own copy of the nodes (the Model is shared, read-only).
    nodes_ = graph_.nodes;
    ir::FuseActivations(graph_, &nodes_);
    for (const ir::Node& node : nodes_) {
      ops::OpFactory factory = ops::FindOp(node.op_type);
      if (factory == nullptr) return NodeError(node, UnsupportedError("op is not implemented"));
      ops_.push_back(factory());
    }
    refs_.resize(graph_.values.size());
    for (const auto& [index, tensor] : graph_.constants) {
      ops::TensorRef& ref = refs_[index];
      ref.dtype = tensor.dtype();
      ref.shape = tensor.shape();
      ref.data = const_cast<void*>(tensor.raw_data());
      ref.is_constant = true;
      ref.is_initializer = true;
      auto storage = graph_.constant_storage.find(index);
      ref.stored_as_int8 =
          storage != graph_.constant_storage.end() && storage->second.name.find("int8") != std::string::npos;
    }
    contexts_.resize(nodes_.size());
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const ir::Node& node = nodes_[i];
      ops::OpContext& ctx = contexts_[i];
      ctx.node_name = &node.name;
      ctx.attrs = &node.attrs;
      ctx.opset = graph_.opset;
      ctx.pool = &pool_;
      for (int32_t v : node.inputs) ctx.inputs.push_back(v == ir::kNoValue ? nullptr : &refs_[v]);
      for (int32_t v : node.outputs) ctx.outputs.push_back(v == ir::kNoValue ? nullptr : &refs_[v]);
    }
    return Status::Ok();
  }

  Status Run(const std::vector<NamedTensor>& inputs, std::vector<NamedTensor>* outputs) {
    if (outputs == nullptr) return InvalidArgumentError("outputs must not be null");
    KINGLET_RETURN_IF_ERROR(BindInputs(inputs));
    if (!planned_ || PlanKeyChanged()) {
      planned_ = false;
      KINGLET_RETURN_IF_ERROR(Plan());
      planned_ = true;
    }
    for (size_t i = 0; i < ops_.size(); ++i) {
      Status s = ops_[i]->Eval(contexts_[i]);
      if (!s.ok()) return NodeError(nodes_[i], s);
    }
    return CopyOutputs(outputs);
  }

  size_t arena_bytes() const { return arena_bytes_; }
  const Model& model() const { return *model_; }

 private:
  Status NodeError(const ir::Node& node, const Status& s) const {
    return s.WithContext(FormatMessage("node '{}' ({}, opset {})", node.name, node.op_type, graph_.opset));
  }

  // Points the graph-input refs at the caller's tensors, checking names, dtypes and shapes.
  Status BindInputs(const std::vector<NamedTensor>& inputs) {
    bound_.assign(graph_.inputs.size(), nullptr);
    for (const NamedTensor& in : inputs) {
      size_t slot = graph_.inputs.size();
      for (size_t i = 0; i < graph_.inputs.size(); ++i) {
        if (graph_.values[graph_.inputs[i]].name == in.name) slot = i;
      }
      if (slot == graph_.inputs.size()) {
        return InvalidArgumentError("the model has no input named '{}'; inputs are {}", in.name,
                                    InputNames());
      }
      if (bound_[slot] != nullptr) return InvalidArgumentError("input '{}' is given twice", in.name);
      const ir::Value& decl = graph_.values[graph_.inputs[slot]];
      if (in.tensor.dtype() != decl.dtype) {
        return InvalidArgumentError("input '{}' must be {}, got {}", in.name, DataTypeName(decl.dtype),
                                    DataTypeName(in.tensor.dtype()));
      }
      const Shape& shape = in.tensor.shape();
      bool compatible = !decl.shape_known || decl.shape.size() == shape.size();
      for (size_t d = 0; compatible && decl.shape_known && d < shape.size(); ++d) {
        compatible = decl.shape[d] < 0 || decl.shape[d] == shape[d];
      }
      if (!compatible) {
        return InvalidArgumentError("input '{}' must have shape {} (? = any size), got {}", in.name,
                                    decl.shape, shape);
      }
      if (in.tensor.raw_data() == nullptr && in.tensor.element_count() != 0) {
        return InvalidArgumentError("input '{}' has no data", in.name);
      }
      bound_[slot] = &in.tensor;
    }
    for (size_t i = 0; i < bound_.size(); ++i) {
      if (bound_[i] == nullptr) {
        return InvalidArgumentError("input '{}' is missing", graph_.values[graph_.inputs[i]].name);
      }
    }
    for (size_t i = 0; i < bound_.size(); ++i) {
      refs_[graph_.inputs[i]].data = const_cast<void*>(bound_[i]->raw_data());
    }
    return Status::Ok();
  }

  std::string InputNames() const {
    std::string names;
    for (int32_t v : graph_.inputs) names += (names.empty() ? "'" : ", '") + graph_.values[v].name + "'";
    return names.empty() ? "(none)" : names;
  }

  bool PlanKeyChanged() const {
    for (size_t i = 0; i < bound_.size(); ++i) {
      const Tensor& t = *bound_[i];
      if (t.shape() != planned_shapes_[i]) return true;
      if (t.element_count() <= kOperandInputMaxElements &&
          std::memcmp(t.raw_data(), planned_operands_[i].data(), t.byte_size()) != 0) {
        return true;
      }
    }
    return false;
  }

  Status Plan() {
    planned_shapes_.clear();
    planned_operands_.clear();
    for (size_t i = 0; i < bound_.size(); ++i) {
      const Tensor& t = *bound_[i];
      ops::TensorRef& ref = refs_[graph_.inputs[i]];
      ref.dtype = t.dtype();
      ref.shape = t.shape();
      ref.is_constant = t.element_count() <= kOperandInputMaxElements;
      planned_shapes_.push_back(t.shape());
      const auto* p = static_cast<const uint8_t*>(t.raw_data());
      planned_operands_.emplace_back(ref.is_constant ? std::vector<uint8_t>(p, p + t.byte_size())
                                                     : std::vector<uint8_t>());
    }

    // Prepare every node in order: each sees its inputs' final shapes.
    const int step_count = static_cast<int>(nodes_.size());
    std::vector<runtime::BufferRequest> requests;
    std::vector<int32_t> request_value;  // value index, or -(node+1) for a node's scratch
    std::map<int32_t, size_t> request_of_value;
    for (int i = 0; i < step_count; ++i) {
      ops::OpContext& ctx = contexts_[i];
      for (ops::TensorRef* out : ctx.outputs) {
        if (out != nullptr) *out = ops::TensorRef{};
      }
      ctx.scratch_bytes = 0;
      Status s = ops_[i]->Prepare(ctx);
      if (!s.ok()) return NodeError(nodes_[i], s);
      const ir::Node& node = nodes_[i];
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        const int32_t v = node.outputs[k];
        if (v == ir::kNoValue) continue;
        const ops::TensorRef& out = refs_[v];
        if (DataTypeSize(out.dtype) == 0) {
          return NodeError(node, InternalError("output {} has no dtype after Prepare", k));
        }
        for (int64_t d : out.shape) {
          if (d < 0) return NodeError(node, InternalError("output has a negative dimension"));
        }
        request_of_value[v] = requests.size();
        requests.push_back({out.byte_size(), i, i});
        request_value.push_back(v);
      }
      if (ctx.scratch_bytes > 0) {
        requests.push_back({ctx.scratch_bytes, i, i});
        request_value.push_back(-(i + 1));
      }
    }
    // Extend lifetimes to the last reader; graph outputs live to the end.
    for (int i = 0; i < step_count; ++i) {
      for (int32_t v : nodes_[i].inputs) {
        auto it = request_of_value.find(v);
        if (it != request_of_value.end()) requests[it->second].last_use = i;
      }
    }
    for (int32_t v : graph_.outputs) {
      auto it = request_of_value.find(v);
      if (it != request_of_value.end()) requests[it->second].last_use = step_count;
    }

    // Concats written in place: each input becomes a slice of the output's buffer, which then
    // lives from the first producer to the last reader of the output or of any input.
    std::map<int32_t, std::pair<int32_t, size_t>> slice_of;  // input value -> (concat output, byte offset)
    for (int i = 0; i < step_count; ++i) {
      if (!ConcatInPlace(i, request_of_value, slice_of)) continue;
      const int32_t out = nodes_[i].outputs[0];
      runtime::BufferRequest& whole = requests[request_of_value[out]];
      size_t offset = 0;
      for (int32_t v : nodes_[i].inputs) {
        runtime::BufferRequest& part = requests[request_of_value[v]];
        whole.first_use = std::min(whole.first_use, part.first_use);
        whole.last_use = std::max(whole.last_use, part.last_use);
        slice_of[v] = {out, offset};
        offset += part.bytes;
        part.bytes = 0;  // no space of its own
      }
    }

    const runtime::MemoryPlan plan = runtime::GreedyBySizePlanner().Plan(requests, kArenaAlignment);
    if (plan.arena_bytes > arena_capacity_) {
      void* p = std::aligned_alloc(kArenaAlignment, plan.arena_bytes);
      if (p == nullptr)
        return FormatStatus(StatusCode::kIOError, "out of memory: the plan needs {} bytes",
                            {plan.arena_bytes});
      arena_.reset(p);
      arena_capacity_ = plan.arena_bytes;
    }
    arena_bytes_ = plan.arena_bytes;
    auto* base = static_cast<uint8_t*>(arena_.get());
    for (size_t r = 0; r < requests.size(); ++r) {
      const int32_t v = request_value[r];
      if (v >= 0) {
        refs_[v].data = base + plan.offsets[r];
      } else {
        contexts_[-v - 1].scratch = base + plan.offsets[r];
      }
    }
    // A concat's output may itself be a slice of a later concat's (DenseNet's chains): follow
    // each slice to the buffer the plan placed.
    for (const auto& [v, slice] : slice_of) {
      int32_t root = slice.first;
      size_t offset = slice.second;
      for (auto up = slice_of.find(root); up != slice_of.end(); up = slice_of.find(root)) {
        offset += up->second.second;
        root = up->second.first;
      }
      refs_[v].data = static_cast<uint8_t*>(refs_[root].data) + offset;
    }
    return Status::Ok();
  }

  // Whether node i is a Concat whose inputs can be written straight into its output: the axis
  // has nothing outside it (batch 1 on the channel axis), so every input is one contiguous
  // slice; each input is a distinct intermediate value of the same dtype, produced by this
  // session, not a graph output and not yet a slice of another concat; the output is not itself
  // a slice.
  bool ConcatInPlace(int i, const std::map<int32_t, size_t>& request_of_value,
                     const std::map<int32_t, std::pair<int32_t, size_t>>& slice_of) const {
    const ir::Node& node = nodes_[i];
    if (node.op_type != "Concat" || node.outputs.size() != 1 || node.inputs.empty()) return false;
    const ops::TensorRef& out = refs_[node.outputs[0]];
    const int64_t rank = static_cast<int64_t>(out.shape.size());
    int64_t axis = node.attrs.GetInt("axis", 0);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return false;
    for (int64_t d = 0; d < axis; ++d) {
      if (out.shape[d] != 1) return false;
    }
    if (!request_of_value.count(node.outputs[0]) || slice_of.count(node.outputs[0])) return false;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int32_t v = node.inputs[k];
      if (v == ir::kNoValue || !request_of_value.count(v) || slice_of.count(v)) return false;
      if (refs_[v].dtype != out.dtype) return false;
      for (size_t j = 0; j < k; ++j) {
        if (node.inputs[j] == v) return false;
      }
      for (int32_t g : graph_.outputs) {
        if (g == v) return false;
      }
    }
    return true;
  }

  Status CopyOutputs(std::vector<NamedTensor>* outputs) const {
    outputs->resize(graph_.outputs.size());
    for (size_t i = 0; i < graph_.outputs.size(); ++i) {
      const int32_t v = graph_.outputs[i];
      const ops::TensorRef& ref = refs_[v];
      NamedTensor& out = (*outputs)[i];
      if (out.name != graph_.values[v].name) out.name = graph_.values[v].name;
      // Reuse the caller's tensor when it already fits (no allocation on repeated runs).
      if (out.tensor.dtype() != ref.dtype || out.tensor.shape() != ref.shape || out.tensor.raw_data() == nullptr) {
        out.tensor = Tensor(ref.dtype, ref.shape);
      }
      if (ref.byte_size() > 0) std::memcpy(out.tensor.raw_data(), ref.data, ref.byte_size());
    }
    return Status::Ok();
  }

  static int ThreadCount(const SessionOptions& options) {
    if (options.threads > 0) return options.threads;
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }

  std::shared_ptr<const Model> model_;
  const ir::Graph& graph_;
  std::vector<ir::Node> nodes_;  // graph_.nodes after load-time fusion; what the session runs
  SessionOptions options_;
  runtime::ThreadPool pool_;
  std::vector<std::unique_ptr<ops::Op>> ops_;
  std::vector<ops::TensorRef> refs_;  // one per graph value
  std::vector<ops::OpContext> contexts_;
  std::vector<const Tensor*> bound_;  // caller's inputs for the current Run
  bool planned_ = false;
  std::vector<Shape> planned_shapes_;
  std::vector<std::vector<uint8_t>> planned_operands_;
  std::unique_ptr<void, ArenaDeleter> arena_;
  size_t arena_capacity_ = 0;
  size_t arena_bytes_ = 0;
};

Result<std::unique_ptr<Session>> Session::Create(std::shared_ptr<const Model> model, const SessionOptions& options) {
  if (model == nullptr) return InvalidArgumentError("model must not be null");
  if (options.threads < 0 || options.threads > kMaxThreads) {
    return InvalidArgumentError("threads must be in [0, {}] (0 = one per hardware thread), got {}",
                                kMaxThreads, options.threads);
  }
  auto impl = std::make_unique<Impl>(std::move(model), options);
  KINGLET_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Status Session::Run(const std::vector<NamedTensor>& inputs, std::vector<NamedTensor>* outputs) {
  return impl_->Run(inputs, outputs);
}

size_t Session::arena_bytes() const { return impl_->arena_bytes(); }
const Model& Session::model() const { return impl_->model(); }

}  // namespace kinglet
