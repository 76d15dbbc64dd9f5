#include "pass_test_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "kinglet/model.h"
#include "kinglet/session.h"

namespace kinglet::compression::passes::testing {

int32_t GraphBuilder::Input(const std::string& name, Shape shape) {
  ir::Value value;
  value.name = name;
  value.dtype = DataType::kFloat32;
  value.shape = std::move(shape);
  value.shape_known = true;
  const int32_t v = graph_.AddValue(std::move(value));
  graph_.inputs.push_back(v);
  return v;
}

int32_t GraphBuilder::Constant(const std::string& name, Tensor tensor) {
  ir::Value value;
  value.name = name;
  value.dtype = tensor.dtype();
  value.shape = tensor.shape();
  value.shape_known = true;
  const int32_t v = graph_.AddValue(std::move(value));
  graph_.constants[v] = std::move(tensor);
  graph_.constant_encoding[v] = ir::Encoding::kDenseRaw;
  return v;
}

int32_t GraphBuilder::RandomConstant(const std::string& name, Shape shape, float lo, float hi) {
  return Constant(name, RandomTensor(std::move(shape), rng_, lo, hi));
}

std::vector<int32_t> GraphBuilder::Nodes(const std::string& op_type, const std::string& name,
                                         std::vector<int32_t> inputs, size_t output_count,
                                         std::vector<ir::Attribute> attrs) {
  ir::Node node;
  node.name = name;
  node.op_type = op_type;
  node.inputs = std::move(inputs);
  for (size_t k = 0; k < output_count; ++k) {
    ir::Value value;
    value.name = name + "_out" + (k == 0 ? "" : std::to_string(k));
    value.dtype = DataType::kFloat32;  // the .kgl reader wants every dtype known; shapes may be free
    node.outputs.push_back(graph_.AddValue(std::move(value)));
  }
  for (ir::Attribute& a : attrs) node.attrs.Set(std::move(a));
  graph_.nodes.push_back(std::move(node));
  return graph_.nodes.back().outputs;
}

int32_t GraphBuilder::Node(const std::string& op_type, const std::string& name, std::vector<int32_t> inputs,
                           std::vector<ir::Attribute> attrs) {
  return Nodes(op_type, name, std::move(inputs), 1, std::move(attrs))[0];
}

Tensor RandomTensor(Shape shape, std::mt19937& rng, float lo, float hi) {
  Tensor t(DataType::kFloat32, std::move(shape));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.element_count(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

ir::Attribute IntAttr(const std::string& name, int64_t v) { return ir::Attribute::Int(name, v); }

ir::Attribute FloatAttr(const std::string& name, float v) { return ir::Attribute::Float(name, v); }

ir::Attribute IntsAttr(const std::string& name, std::vector<int64_t> v) { return ir::Attribute::Ints(name, std::move(v)); }

ir::Attribute StringAttr(const std::string& name, std::string v) { return ir::Attribute::String(name, std::move(v)); }

int CountNodes(const ir::Graph& graph, const std::string& op_type) {
  int count = 0;
  for (const ir::Node& node : graph.nodes) count += op_type.empty() || node.op_type == op_type;
  return count;
}

const ir::Node* FindNode(const ir::Graph& graph, const std::string& op_type) {
  for (const ir::Node& node : graph.nodes) {
    if (node.op_type == op_type) return &node;
  }
  return nullptr;
}

std::vector<NamedTensor> RandomInputs(const ir::Graph& graph, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<NamedTensor> inputs;
  for (int32_t v : graph.inputs) {
    Shape shape = graph.values[v].shape;
    for (int64_t& d : shape) d = d < 0 ? 2 : d;
    inputs.push_back({graph.values[v].name, RandomTensor(shape, rng, -2.0f, 2.0f)});
  }
  return inputs;
}

Result<std::vector<NamedTensor>> RunGraph(const ir::Graph& graph, const std::vector<NamedTensor>& inputs) {
  KINGLET_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::FromGraph(graph));
  KINGLET_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(model));
  std::vector<NamedTensor> outputs;
  KINGLET_RETURN_IF_ERROR(session->Run(inputs, &outputs));
  return outputs;
}

double MaxRelativeDifference(const Tensor& got, const Tensor& want) {
  double scale = 0;
  for (int64_t i = 0; i < want.element_count(); ++i) {
    scale = std::max(scale, std::fabs(double(want.data<float>()[i])));
  }
  double worst = 0;
  for (int64_t i = 0; i < want.element_count(); ++i) {
    const double diff = std::fabs(double(got.data<float>()[i]) - want.data<float>()[i]);
    worst = std::max(worst, diff / std::max(scale, 1e-6));
  }
  return worst;
}

void ExpectSameOutputs(const ir::Graph& before, const ir::Graph& after, double rtol, uint32_t seed) {
  const std::vector<NamedTensor> inputs = RandomInputs(before, seed);
  auto want = RunGraph(before, inputs);
  ASSERT_TRUE(want.ok()) << "before the pass: " << want.status().ToString();
  auto got = RunGraph(after, inputs);
  ASSERT_TRUE(got.ok()) << "after the pass: " << got.status().ToString();
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < want->size(); ++i) {
    const NamedTensor& w = (*want)[i];
    const NamedTensor& g = (*got)[i];
    EXPECT_EQ(g.name, w.name);
    ASSERT_EQ(g.tensor.dtype(), w.tensor.dtype()) << w.name;
    ASSERT_EQ(g.tensor.shape(), w.tensor.shape()) << w.name;
    if (w.tensor.dtype() != DataType::kFloat32) {
      EXPECT_EQ(0, std::memcmp(g.tensor.raw_data(), w.tensor.raw_data(), w.tensor.byte_size())) << w.name;
      continue;
    }
    EXPECT_LE(MaxRelativeDifference(g.tensor, w.tensor), rtol) << "output " << w.name;
  }
}

}  // namespace kinglet::compression::passes::testing
