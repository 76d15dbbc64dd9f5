// Runs one op outside any graph: Prepare, allocate outputs and scratch, Eval.
// Every input is marked constant so shape operands (Reshape's shape, Slice's starts) can be
// read in Prepare, as they can when a session plans with concrete inputs.
#pragma once

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ir/attributes.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"
#include "ops/op.h"

namespace kinglet::testing {

// `inputs` may contain default-constructed Tensors (dtype kUndefined) for omitted optional
// inputs. Returns `num_outputs` tensors.
Result<std::vector<Tensor>> RunOp(const std::string& op_type, const ir::Attributes& attrs,
                                  const std::vector<Tensor>& inputs, size_t num_outputs,
                                  int64_t opset = 13);

// A tensor of `dtype` and `shape` holding `values` (T must match dtype's C++ type).
template <typename T>
Tensor Make(DataType dtype, Shape shape, const std::vector<T>& values) {
  Tensor t(dtype, std::move(shape));
  std::copy(values.begin(), values.end(), t.data<T>());
  return t;
}

// A float32 tensor of `shape` with values uniform in [-1, 1) drawn from `rng`.
Tensor RandomTensor(Shape shape, std::mt19937& rng);

// A tensor's elements as a vector, for EXPECT_EQ against expectations.
template <typename T>
std::vector<T> Values(const Tensor& t) {
  return {t.data<T>(), t.data<T>() + t.element_count()};
}

// Attribute builders for terse tests.
ir::Attribute IntAttr(const std::string& name, int64_t v);
ir::Attribute FloatAttr(const std::string& name, float v);
ir::Attribute IntsAttr(const std::string& name, std::vector<int64_t> v);
ir::Attribute FloatsAttr(const std::string& name, std::vector<float> v);
ir::Attribute StringAttr(const std::string& name, std::string v);
ir::Attributes Attrs(std::vector<ir::Attribute> list);

}  // namespace kinglet::testing
