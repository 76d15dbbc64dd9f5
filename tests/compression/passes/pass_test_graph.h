// Hand-built graphs for the pass tests, and the engine run that checks a pass kept the math.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"

namespace kinglet::compression::passes::testing {

// Builds an ir::Graph node by node; values are named after their producer.
class GraphBuilder {
 public:
  explicit GraphBuilder(int64_t opset = 13, uint32_t seed = 1) : rng_(seed) { graph_.opset = opset; }

  int32_t Input(const std::string& name, Shape shape);
  int32_t Constant(const std::string& name, Tensor tensor);
  // Uniform in [lo, hi).
  int32_t RandomConstant(const std::string& name, Shape shape, float lo = -1.0f, float hi = 1.0f);
  // Adds a node with `output_count` float32 outputs of unknown shape, named "<name>_out" /
  // "<name>_out<k>"; returns them.
  std::vector<int32_t> Nodes(const std::string& op_type, const std::string& name, std::vector<int32_t> inputs,
                             size_t output_count, std::vector<ir::Attribute> attrs = {});
  // Single-output shorthand.
  int32_t Node(const std::string& op_type, const std::string& name, std::vector<int32_t> inputs,
               std::vector<ir::Attribute> attrs = {});
  void Output(int32_t value) { graph_.outputs.push_back(value); }

  ir::Graph& graph() { return graph_; }
  std::mt19937& rng() { return rng_; }

 private:
  ir::Graph graph_;
  std::mt19937 rng_;
};

Tensor RandomTensor(Shape shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f);

ir::Attribute IntAttr(const std::string& name, int64_t v);
ir::Attribute FloatAttr(const std::string& name, float v);
ir::Attribute IntsAttr(const std::string& name, std::vector<int64_t> v);
ir::Attribute StringAttr(const std::string& name, std::string v);

// Number of nodes of `op_type`, or all nodes for "".
int CountNodes(const ir::Graph& graph, const std::string& op_type = "");
const ir::Node* FindNode(const ir::Graph& graph, const std::string& op_type);

// Random float inputs of each graph input's declared shape (dims < 0 become 2).
std::vector<NamedTensor> RandomInputs(const ir::Graph& graph, uint32_t seed);
// Runs `graph` with the engine (Model::FromGraph + Session).
Result<std::vector<NamedTensor>> RunGraph(const ir::Graph& graph, const std::vector<NamedTensor>& inputs);

// Runs both graphs on the same random inputs and expects equal output names, dtypes and
// shapes, and values within `rtol` of the largest magnitude in each reference output.
void ExpectSameOutputs(const ir::Graph& before, const ir::Graph& after, double rtol = 1e-5,
                       uint32_t seed = 7);
// The largest |got - want| / max|want| over all elements.
double MaxRelativeDifference(const Tensor& got, const Tensor& want);

}  // namespace kinglet::compression::passes::testing
