#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::Make;
using testing::RunOp;
using testing::Values;


Result<std::vector<Tensor>> RunBinary(const char* op, const Tensor& a, const Tensor& b) {
  return RunOp(op, Attrs({}), {a, b}, 1, /*opset=*/14);
}

TEST(BinaryElementwiseTest, SameShapeFloat) {
  const Tensor a = Tensor::FromFloats({2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::FromFloats({2, 2}, {10, 20, 30, 40});
  auto add = RunBinary("Add", a, b);
  auto sub = RunBinary("Sub", a, b);
  auto mul = RunBinary("Mul", a, b);
  auto div = RunBinary("Div", b, a);
  ASSERT_TRUE(add.ok() && sub.ok() && mul.ok() && div.ok()) << add.status().ToString();
  EXPECT_EQ((*add)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values<float>((*add)[0]), (std::vector<float>{11, 22, 33, 44}));
  EXPECT_EQ(Values<float>((*sub)[0]), (std::vector<float>{-9, -18, -27, -36}));
  EXPECT_EQ(Values<float>((*mul)[0]), (std::vector<float>{10, 40, 90, 160}));
  EXPECT_EQ(Values<float>((*div)[0]), (std::vector<float>{10, 10, 10, 10}));
}

TEST(BinaryElementwiseTest, BroadcastsBothWaysKeepingOperandOrder) {
  // [3] - [2,1] -> [2,3]: a stretches over rows, b over columns.
  auto r =
      RunBinary("Sub", Tensor::FromFloats({3}, {1, 2, 3}), Tensor::FromFloats({2, 1}, {10, 20}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{-9, -8, -7, -19, -18, -17}));

  // Scalar divided by a tensor, and a middle-axis broadcast [2,1,2] * [3,1].
  auto d = RunBinary("Div", Tensor::FromFloats({}, {12}), Tensor::FromFloats({3}, {1, 2, 3}));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)[0].shape(), (Shape{3}));
  EXPECT_EQ(Values<float>((*d)[0]), (std::vector<float>{12, 6, 4}));

  auto m = RunBinary("Mul", Tensor::FromFloats({2, 1, 2}, {1, 2, 3, 4}),
                     Tensor::FromFloats({3, 1}, {1, 10, 100}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)[0].shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(Values<float>((*m)[0]),
            (std::vector<float>{1, 2, 10, 20, 100, 200, 3, 4, 30, 40, 300, 400}));
}

TEST(BinaryElementwiseTest, EmptyTensorBroadcasts) {
  auto r = RunBinary("Add", Tensor(DataType::kFloat32, {0, 3}), Tensor::FromFloats({3}, {1, 2, 3}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{0, 3}));
}

TEST(BinaryElementwiseTest, IntegerDivisionTruncatesAndOverflowWraps) {
  auto d = RunBinary(
      "Div", Make<int32_t>(DataType::kInt32, {4}, {7, -7, 7, std::numeric_limits<int32_t>::min()}),
      Make<int32_t>(DataType::kInt32, {4}, {2, 2, -2, -1}));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)[0].dtype(), DataType::kInt32);
  EXPECT_EQ(Values<int32_t>((*d)[0]),
            (std::vector<int32_t>{3, -3, -3, std::numeric_limits<int32_t>::min()}));

  const int64_t max = std::numeric_limits<int64_t>::max();
  auto a = RunBinary("Add", Tensor::FromInt64s({2}, {max, 5}), Tensor::FromInt64s({}, {1}));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(Values<int64_t>((*a)[0]),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min(), 6}));

  auto m = RunBinary("Mul", Tensor::FromInt64s({2, 1}, {2, 3}), Tensor::FromInt64s({2}, {-1, 4}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Values<int64_t>((*m)[0]), (std::vector<int64_t>{-2, 8, -3, 12}));
}

TEST(BinaryElementwiseTest, IntegerDivisionByZeroIsAnErrorNotATrap) {
  auto r = RunBinary("Div", Tensor::FromInt64s({2}, {1, 2}), Tensor::FromInt64s({2}, {1, 0}));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // Float division by zero is IEEE, not an error.
  auto f = RunBinary("Div", Tensor::FromFloats({1}, {1}), Tensor::FromFloats({1}, {0}));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(Values<float>((*f)[0])[0], std::numeric_limits<float>::infinity());
}

TEST(BinaryElementwiseTest, RejectsBadInputs) {
  const Tensor f = Tensor::FromFloats({2, 3}, {1, 2, 3, 4, 5, 6});
  // Shapes that do not broadcast.
  EXPECT_EQ(RunBinary("Add", f, Tensor::FromFloats({2}, {1, 2})).status().code(),
            StatusCode::kInvalidArgument);
  // Mixed dtypes.
  EXPECT_EQ(RunBinary("Mul", f, Tensor::FromInt64s({3}, {1, 2, 3})).status().code(),
            StatusCode::kInvalidArgument);
  // Unsupported dtypes.
  const Tensor u8 = Make<uint8_t>(DataType::kUint8, {2}, {1, 2});
  auto r = RunBinary("Add", u8, u8);
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("int64"), std::string::npos) << r.status().message();
  // Wrong input count.
  EXPECT_FALSE(RunOp("Sub", Attrs({}), {f}, 1).ok());
}

}  // namespace
}  // namespace kinglet
