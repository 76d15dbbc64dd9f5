#include "runtime/run_node.h"

#include <memory>
#include <string>

#include "ops/op.h"
#include "runtime/status_format.h"

namespace kinglet::runtime {

Result<std::vector<Tensor>> RunNode(const ir::Node& node, const std::vector<const Tensor*>& inputs, int64_t opset,
                                    size_t max_output_bytes) {
  const std::string where = FormatMessage("node '{}' ({}, opset {})", node.name, node.op_type, opset);
  if (inputs.size() != node.inputs.size()) {
    return InternalError("{}: {} input tensors given for {} inputs", where, inputs.size(),
                         node.inputs.size());
  }
  ops::OpFactory factory = ops::FindOp(node.op_type);
  if (factory == nullptr) return UnsupportedError("{}: op is not registered in the engine", where);
  std::unique_ptr<ops::Op> op = factory();

  std::vector<ops::TensorRef> in_refs(inputs.size());
  std::vector<ops::TensorRef> out_refs(node.outputs.size());
  ops::OpContext ctx;
  ctx.node_name = &node.name;
  ctx.attrs = &node.attrs;
  ctx.opset = opset;
  // One thread: a pool of size 1 starts no worker and keeps no state, so one serves every call.
  static runtime::ThreadPool single_thread(1);
  ctx.pool = &single_thread;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] == nullptr) {
      ctx.inputs.push_back(nullptr);
      continue;
    }
    in_refs[i].dtype = inputs[i]->dtype();
    in_refs[i].shape = inputs[i]->shape();
    in_refs[i].data = const_cast<void*>(inputs[i]->raw_data());
    in_refs[i].is_constant = true;
    ctx.inputs.push_back(&in_refs[i]);
  }
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    ctx.outputs.push_back(node.outputs[i] == ir::kNoValue ? nullptr : &out_refs[i]);
  }

  Status prepared = op->Prepare(ctx);
  if (!prepared.ok()) return prepared.WithContext(where);
  size_t total_bytes = 0;
  for (size_t i = 0; i < out_refs.size(); ++i) {
    if (ctx.outputs[i] == nullptr) continue;
    const ops::TensorRef& r = out_refs[i];
    if (DataTypeSize(r.dtype) == 0) {
      return InternalError("{}: output {} has no dtype after Prepare", where, i);
    }
    for (int64_t d : r.shape) {
      if (d < 0) return InternalError("{}: output {} has a negative dimension", where, i);
    }
    total_bytes += r.byte_size();
  }
  if (total_bytes > max_output_bytes) {
    return UnsupportedError("{}: outputs would take {} bytes, over the limit of {}", where, total_bytes,
                            max_output_bytes);
  }

  std::vector<Tensor> outputs(out_refs.size());
  for (size_t i = 0; i < out_refs.size(); ++i) {
    if (ctx.outputs[i] == nullptr) continue;
    outputs[i] = Tensor(out_refs[i].dtype, out_refs[i].shape);
    out_refs[i].data = outputs[i].raw_data();
  }
  Tensor scratch;
  if (ctx.scratch_bytes > 0) {
    scratch = Tensor(DataType::kUint8, {static_cast<int64_t>(ctx.scratch_bytes)});
    ctx.scratch = scratch.raw_data();
  }
  Status evaluated = op->Eval(ctx);
  if (!evaluated.ok()) return evaluated.WithContext(where);
  return outputs;
}

}  // namespace kinglet::runtime
