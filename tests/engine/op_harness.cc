#include "op_harness.h"

#include "runtime/run_node.h"

namespace kinglet::testing {

Tensor RandomTensor(Shape shape, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t(DataType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.element_count(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

Result<std::vector<Tensor>> RunOp(const std::string& op_type, const ir::Attributes& attrs,
                                  const std::vector<Tensor>& inputs, size_t num_outputs,
                                  int64_t opset) {
  ir::Node node;
  node.name = "test_node";
  node.op_type = op_type;
  node.attrs = attrs;
  std::vector<const Tensor*> refs;
  for (const Tensor& t : inputs) {
    refs.push_back(t.dtype() == DataType::kUndefined ? nullptr : &t);
    node.inputs.push_back(0);  // RunNode only checks presence; the tensors come from `refs`
  }
  for (size_t i = 0; i < num_outputs; ++i) node.outputs.push_back(static_cast<int32_t>(i));
  return runtime::RunNode(node, refs, opset);
}

ir::Attribute IntAttr(const std::string& name, int64_t v) { return ir::Attribute::Int(name, v); }
ir::Attribute FloatAttr(const std::string& name, float v) { return ir::Attribute::Float(name, v); }
ir::Attribute IntsAttr(const std::string& name, std::vector<int64_t> v) { return ir::Attribute::Ints(name, std::move(v)); }
ir::Attribute FloatsAttr(const std::string& name, std::vector<float> v) { return ir::Attribute::Floats(name, std::move(v)); }
ir::Attribute StringAttr(const std::string& name, std::string v) { return ir::Attribute::String(name, std::move(v)); }
ir::Attributes Attrs(std::vector<ir::Attribute> list) {
  ir::Attributes attrs;
  for (auto& a : list) attrs.Set(std::move(a));
  return attrs;
}

}  // namespace kinglet::testing
