#include "runtime/run_node.h"

#include <gtest/gtest.h>


namespace kinglet::runtime {
namespace {

ir::Node MakeNode(const std::string& op_type, size_t inputs, std::vector<int32_t> outputs) {
  ir::Node node;
  node.name = "n";
  node.op_type = op_type;
  node.inputs.assign(inputs, 0);
  node.outputs = std::move(outputs);
  return node;
}

TEST(RunNodeTest, RunsTheEngineOp) {
  const Tensor a = Tensor::FromFloats({2, 2}, {1, 2, 3, 4});
  const Tensor c = Tensor::FromFloats({2}, {10, 20});
  auto out = RunNode(MakeNode("Add", 2, {1}), {&a, &c}, 13);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ((*out)[0].data<float>()[3], 24.0f);
}

TEST(RunNodeTest, ReadsShapeOperandsInPrepare) {
  const Tensor x = Tensor::FromFloats({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor shape = Tensor::FromInt64s({1}, {6});
  auto out = RunNode(MakeNode("Reshape", 2, {1}), {&x, &shape}, 13);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{6}));
}

TEST(RunNodeTest, AbsentOutputStaysAbsent) {
  const Tensor x = Tensor::FromFloats({2}, {1, 2});
  auto out = RunNode(MakeNode("Dropout", 1, {1, ir::kNoValue}), {&x}, 13);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[1].dtype(), DataType::kUndefined);
}

TEST(RunNodeTest, RefusesUnregisteredOpsAndHugeOutputs) {
  const Tensor x = Tensor::FromFloats({4}, {1, 2, 3, 4});
  auto unknown = RunNode(MakeNode("NoSuchOp", 1, {1}), {&x}, 13);
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnsupported);
  auto big = RunNode(MakeNode("Relu", 1, {1}), {&x}, 13, /*max_output_bytes=*/15);
  EXPECT_EQ(big.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(big.status().message().find("over the limit"), std::string::npos) << big.status().ToString();
  auto fits = RunNode(MakeNode("Relu", 1, {1}), {&x}, 13, /*max_output_bytes=*/16);
  EXPECT_TRUE(fits.ok());
}

TEST(RunNodeTest, OpErrorsNameTheNode) {
  const Tensor a = Tensor::FromFloats({2}, {1, 2});
  const Tensor b = Tensor::FromFloats({3}, {1, 2, 3});
  auto out = RunNode(MakeNode("Add", 2, {1}), {&a, &b}, 13);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("node 'n' (Add, opset 13)"), std::string::npos)
      << out.status().ToString();
}

}  // namespace
}  // namespace kinglet::runtime
