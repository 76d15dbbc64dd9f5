#include "op_harness.h"

namespace kinglet::testing {

Result<std::vector<Tensor>> RunOp(const std::string& op_type, const ir::Attributes& attrs,
                                  const std::vector<Tensor>& inputs, size_t num_outputs,
                                  int64_t opset) {
  ops::OpFactory factory = ops::FindOp(op_type);
  if (factory == nullptr) return Status::Unsupported("op " + op_type + " is not registered");
  std::unique_ptr<ops::Op> op = factory();

  std::vector<ops::TensorRef> in_refs(inputs.size());
  std::vector<ops::TensorRef> out_refs(num_outputs);
  const std::string name = "test_node";
  ops::OpContext ctx;
  ctx.node_name = &name;
  ctx.attrs = &attrs;
  ctx.opset = opset;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype() == DataType::kUndefined) {
      ctx.inputs.push_back(nullptr);
      continue;
    }
    in_refs[i].dtype = inputs[i].dtype();
    in_refs[i].shape = inputs[i].shape();
    in_refs[i].data = const_cast<void*>(inputs[i].raw_data());
    in_refs[i].is_constant = true;
    ctx.inputs.push_back(&in_refs[i]);
  }
  for (auto& r : out_refs) ctx.outputs.push_back(&r);

  KINGLET_RETURN_IF_ERROR(op->Prepare(ctx));
  std::vector<Tensor> outputs;
  for (auto& r : out_refs) {
    outputs.emplace_back(r.dtype, r.shape);
    r.data = outputs.back().raw_data();
  }
  Tensor scratch;
  if (ctx.scratch_bytes > 0) {
    scratch = Tensor(DataType::kUint8, {static_cast<int64_t>(ctx.scratch_bytes)});
    ctx.scratch = scratch.raw_data();
  }
  KINGLET_RETURN_IF_ERROR(op->Eval(ctx));
  return outputs;
}

ir::Attribute IntAttr(const std::string& name, int64_t v) {
  ir::Attribute a;
  a.name = name;
  a.kind = ir::Attribute::Kind::kInt;
  a.i = v;
  return a;
}
ir::Attribute FloatAttr(const std::string& name, float v) {
  ir::Attribute a;
  a.name = name;
  a.kind = ir::Attribute::Kind::kFloat;
  a.f = v;
  return a;
}
ir::Attribute IntsAttr(const std::string& name, std::vector<int64_t> v) {
  ir::Attribute a;
  a.name = name;
  a.kind = ir::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
ir::Attribute FloatsAttr(const std::string& name, std::vector<float> v) {
  ir::Attribute a;
  a.name = name;
  a.kind = ir::Attribute::Kind::kFloats;
  a.floats = std::move(v);
  return a;
}
ir::Attribute StringAttr(const std::string& name, std::string v) {
  ir::Attribute a;
  a.name = name;
  a.kind = ir::Attribute::Kind::kString;
  a.s = std::move(v);
  return a;
}
ir::Attributes Attrs(std::vector<ir::Attribute> list) {
  ir::Attributes attrs;
  for (auto& a : list) attrs.Set(std::move(a));
  return attrs;
}

}  // namespace kinglet::testing
