// Session: input validation, output buffer reuse and re-planning when shapes change.
#include "kinglet/session.h"

#include <gtest/gtest.h>

#include "ir/graph.h"
#include "kinglet/model.h"

namespace kinglet {
namespace {

// y = relu(x + b), x: [?, 3] float32
std::shared_ptr<const Model> AddReluModel() {
  ir::Graph g;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {-1, 3}, true});
  const int32_t b = g.AddValue({"b", DataType::kFloat32, {3}, true});
  const int32_t s = g.AddValue({"s", DataType::kFloat32, {-1, 3}, true});
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {-1, 3}, true});
  g.inputs = {x};
  g.outputs = {y};
  g.constants[b] = Tensor::FromFloats({3}, {1, -1, 0.5f});
  ir::Node add;
  add.name = "add";
  add.op_type = "Add";
  add.inputs = {x, b};
  add.outputs = {s};
  ir::Node relu;
  relu.name = "relu";
  relu.op_type = "Relu";
  relu.inputs = {s};
  relu.outputs = {y};
  g.nodes = {add, relu};
  auto model = Model::FromGraph(std::move(g));
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

TEST(Session, RunsAndReusesOutputBuffers) {
  auto session = Session::Create(AddReluModel());
  ASSERT_TRUE(session.ok());
  std::vector<NamedTensor> outputs;
  Tensor x = Tensor::FromFloats({2, 3}, {1, 2, 3, -4, -5, -6});
  ASSERT_TRUE((*session)->Run({{"x", x}}, &outputs).ok());
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].name, "y");
  EXPECT_EQ(outputs[0].tensor.shape(), (Shape{2, 3}));
  const float want[] = {2, 1, 3.5f, 0, 0, 0};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(outputs[0].tensor.data<float>()[i], want[i]);
  EXPECT_GT((*session)->arena_bytes(), 0u);

  const void* buffer = outputs[0].tensor.raw_data();
  ASSERT_TRUE((*session)->Run({{"x", x}}, &outputs).ok());
  EXPECT_EQ(outputs[0].tensor.raw_data(), buffer) << "a same-shape run must write in place";
}

TEST(Session, ReplansWhenTheBatchChanges) {
  auto session = Session::Create(AddReluModel());
  ASSERT_TRUE(session.ok());
  std::vector<NamedTensor> outputs;
  ASSERT_TRUE((*session)->Run({{"x", Tensor::FromFloats({1, 3}, {0, 0, 0})}}, &outputs).ok());
  EXPECT_EQ(outputs[0].tensor.shape(), (Shape{1, 3}));
  ASSERT_TRUE((*session)->Run({{"x", Tensor::FromFloats({4, 3}, std::vector<float>(12, 1.0f))}}, &outputs).ok());
  EXPECT_EQ(outputs[0].tensor.shape(), (Shape{4, 3}));
  EXPECT_FLOAT_EQ(outputs[0].tensor.data<float>()[11], 1.5f);
}

// y = x * w with both as graph inputs; w is small enough (<= 64 elements) to be an operand,
// constant for one plan only: new values or a new shape in the same buffer must be used, never a
// copy packed for an earlier plan.
TEST(Session, SmallWeightInputsAreRepackedWhenTheyChange) {
  ir::Graph g;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {2, -1}, true});
  const int32_t w = g.AddValue({"w", DataType::kFloat32, {-1, -1}, true});
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {2, -1}, true});
  g.inputs = {x, w};
  g.outputs = {y};
  ir::Node matmul{"mm", "MatMul", {x, w}, {y}, {}};
  g.nodes = {matmul};
  auto model = Model::FromGraph(std::move(g));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto session = Session::Create(*model, SessionOptions{2});
  ASSERT_TRUE(session.ok());
  std::vector<NamedTensor> outputs;
  Tensor xs = Tensor::FromFloats({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor ws = Tensor::FromFloats({4, 4}, std::vector<float>(16, 1.0f));
  ASSERT_TRUE((*session)->Run({{"x", xs}, {"w", ws}}, &outputs).ok());
  EXPECT_FLOAT_EQ(outputs[0].tensor.data<float>()[0], 10.0f);
  // Same buffer, new values.
  for (int i = 0; i < 16; ++i) ws.data<float>()[i] = 2.0f;
  ASSERT_TRUE((*session)->Run({{"x", xs}, {"w", ws}}, &outputs).ok());
  EXPECT_FLOAT_EQ(outputs[0].tensor.data<float>()[0], 20.0f);
  // New shape: [4, 16] (64 elements).
  Tensor wide = Tensor::FromFloats({4, 16}, std::vector<float>(64, 0.5f));
  ASSERT_TRUE((*session)->Run({{"x", xs}, {"w", wide}}, &outputs).ok());
  ASSERT_EQ(outputs[0].tensor.shape(), (Shape{2, 16}));
  for (int j = 0; j < 16; ++j) EXPECT_FLOAT_EQ(outputs[0].tensor.data<float>()[16 + j], 13.0f) << j;
}

// c = Concat(relu(x), x + 1) on axis 1, d = relu(x) * 2 read after the concat, and e =
// Concat(d, d). With batch 1 the first concat is planned in place (its inputs are slices of its
// output) and relu(x) must survive in that slice until d reads it; with batch 2 (rows
// interleave) and for a repeated input the concat copies. Every case gives the same numbers.
TEST(Session, ConcatInPlaceKeepsEveryReaderRight) {
  ir::Graph g;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {-1, 3}, true});
  const int32_t one = g.AddValue({"one", DataType::kFloat32, {3}, true});
  const int32_t two = g.AddValue({"two", DataType::kFloat32, {3}, true});
  const int32_t a = g.AddValue({"a", DataType::kFloat32, {-1, 3}, true});
  const int32_t b = g.AddValue({"b", DataType::kFloat32, {-1, 3}, true});
  const int32_t c = g.AddValue({"c", DataType::kFloat32, {-1, 6}, true});
  const int32_t d = g.AddValue({"d", DataType::kFloat32, {-1, 3}, true});
  const int32_t e = g.AddValue({"e", DataType::kFloat32, {-1, 6}, true});
  g.inputs = {x};
  g.outputs = {c, e};
  g.constants[one] = Tensor::FromFloats({3}, {1, 1, 1});
  g.constants[two] = Tensor::FromFloats({3}, {2, 2, 2});
  ir::Attributes axis1;
  axis1.Set(ir::Attribute::Int("axis", 1));
  g.nodes = {ir::Node{"relu", "Relu", {x}, {a}, {}}, ir::Node{"add", "Add", {x, one}, {b}, {}},
             ir::Node{"cat", "Concat", {a, b}, {c}, axis1}, ir::Node{"mul", "Mul", {a, two}, {d}, {}},
             ir::Node{"cat2", "Concat", {d, d}, {e}, axis1}};
  auto model = Model::FromGraph(std::move(g));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok());
  std::vector<NamedTensor> outputs;
  ASSERT_TRUE((*session)->Run({{"x", Tensor::FromFloats({1, 3}, {-1, 2, 3})}}, &outputs).ok());
  auto values = [](const Tensor& t) {
    return std::vector<float>(t.data<float>(), t.data<float>() + t.element_count());
  };
  EXPECT_EQ(values(outputs[0].tensor), (std::vector<float>{0, 2, 3, 0, 3, 4}));
  EXPECT_EQ(values(outputs[1].tensor), (std::vector<float>{0, 4, 6, 0, 4, 6}));
  ASSERT_TRUE((*session)->Run({{"x", Tensor::FromFloats({2, 3}, {-1, 2, 3, 4, -5, 6})}}, &outputs).ok());
  EXPECT_EQ(values(outputs[0].tensor), (std::vector<float>{0, 2, 3, 0, 3, 4, 4, 0, 6, 5, -4, 7}));
  EXPECT_EQ(values(outputs[1].tensor), (std::vector<float>{0, 4, 6, 0, 4, 6, 8, 0, 12, 8, 0, 12}));
}

// A concat whose output is an input of another (DenseNet's chains): both are planned in place,
// the inner one's inputs land inside the outer one's buffer.
TEST(Session, NestedConcatsInPlace) {
  ir::Graph g;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {1, 3}, true});
  const int32_t one = g.AddValue({"one", DataType::kFloat32, {3}, true});
  const int32_t two = g.AddValue({"two", DataType::kFloat32, {3}, true});
  const int32_t c = g.AddValue({"c", DataType::kFloat32, {1, 3}, true});
  const int32_t a = g.AddValue({"a", DataType::kFloat32, {1, 3}, true});
  const int32_t b = g.AddValue({"b", DataType::kFloat32, {1, 3}, true});
  const int32_t inner = g.AddValue({"inner", DataType::kFloat32, {1, 6}, true});
  const int32_t outer = g.AddValue({"outer", DataType::kFloat32, {1, 9}, true});
  g.inputs = {x};
  g.outputs = {outer};
  g.constants[one] = Tensor::FromFloats({3}, {1, 1, 1});
  g.constants[two] = Tensor::FromFloats({3}, {2, 2, 2});
  ir::Attributes axis1;
  axis1.Set(ir::Attribute::Int("axis", 1));
  g.nodes = {ir::Node{"relu", "Relu", {x}, {c}, {}}, ir::Node{"add", "Add", {x, one}, {a}, {}},
             ir::Node{"mul", "Mul", {x, two}, {b}, {}}, ir::Node{"inner", "Concat", {a, b}, {inner}, axis1},
             ir::Node{"outer", "Concat", {c, inner}, {outer}, axis1}};
  auto model = Model::FromGraph(std::move(g));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok());
  std::vector<NamedTensor> outputs;
  ASSERT_TRUE((*session)->Run({{"x", Tensor::FromFloats({1, 3}, {-1, 2, 3})}}, &outputs).ok());
  const Tensor& y = outputs[0].tensor;
  EXPECT_EQ(std::vector<float>(y.data<float>(), y.data<float>() + 9),
            (std::vector<float>{0, 2, 3, 0, 3, 4, -2, 4, 6}));
}

TEST(Session, RefusesBadInputsWithClearMessages) {
  auto session = Session::Create(AddReluModel());
  ASSERT_TRUE(session.ok());
  std::vector<NamedTensor> outputs;
  Status wrong_name = (*session)->Run({{"z", Tensor::FromFloats({1, 3}, {0, 0, 0})}}, &outputs);
  EXPECT_EQ(wrong_name.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_name.message().find("'x'"), std::string::npos) << wrong_name.message();

  Status wrong_shape = (*session)->Run({{"x", Tensor::FromFloats({1, 4}, {0, 0, 0, 0})}}, &outputs);
  EXPECT_EQ(wrong_shape.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_shape.message().find("[?,3]"), std::string::npos) << wrong_shape.message();

  Status wrong_dtype = (*session)->Run({{"x", Tensor::FromInt64s({1, 3}, {0, 0, 0})}}, &outputs);
  EXPECT_EQ(wrong_dtype.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_dtype.message().find("float32"), std::string::npos) << wrong_dtype.message();

  Status missing = (*session)->Run({}, &outputs);
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);

  Status twice = (*session)->Run({{"x", Tensor::FromFloats({1, 3}, {0, 0, 0})},
                                  {"x", Tensor::FromFloats({1, 3}, {0, 0, 0})}}, &outputs);
  EXPECT_EQ(twice.code(), StatusCode::kInvalidArgument);
}

TEST(Session, NodeErrorsNameTheNodeOpAndOpset) {
  ir::Graph g;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {2, 3}, true});
  const int32_t w = g.AddValue({"w", DataType::kFloat32, {5, 7}, true});
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {}, false});
  g.inputs = {x};
  g.outputs = {y};
  g.constants[w] = Tensor(DataType::kFloat32, {5, 7});
  ir::Node mm;
  mm.name = "bad_matmul";
  mm.op_type = "MatMul";
  mm.inputs = {x, w};
  mm.outputs = {y};
  g.nodes = {mm};
  auto model = Model::FromGraph(std::move(g));
  ASSERT_TRUE(model.ok());
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok());
  std::vector<NamedTensor> outputs;
  Status s = (*session)->Run({{"x", Tensor(DataType::kFloat32, {2, 3})}}, &outputs);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("node 'bad_matmul' (MatMul, opset 13)"), std::string::npos) << s.message();
}

TEST(Model, UnknownOpIsRefusedAtLoad) {
  ir::Graph g;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {1}, true});
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {1}, true});
  g.inputs = {x};
  g.outputs = {y};
  ir::Node n;
  n.name = "mystery";
  n.op_type = "NoSuchOp";
  n.inputs = {x};
  n.outputs = {y};
  g.nodes = {n};
  auto model = Model::FromGraph(std::move(g));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("NoSuchOp"), std::string::npos);
}

}  // namespace
}  // namespace kinglet
