#include <gtest/gtest.h>

#include <vector>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::RunOp;

std::vector<float> Values(const Tensor& t) {
  return {t.data<float>(), t.data<float>() + t.element_count()};
}

struct Case {
  Shape a_shape;
  std::vector<float> a;
  Shape b_shape;
  std::vector<float> b;
  Shape y_shape;
  std::vector<float> y;
};

void ExpectMatMul(const Case& c) {
  auto r = RunOp("MatMul", Attrs({}),
                 {Tensor::FromFloats(c.a_shape, c.a), Tensor::FromFloats(c.b_shape, c.b)}, 1, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), c.y_shape);
  EXPECT_EQ(Values((*r)[0]), c.y);
}

const std::vector<float> kA23 = {1, 2, 3, 4, 5, 6};
const std::vector<float> kB32 = {1, 0, 0, 1, 1, 1};

TEST(MatMulTest, Matrices) { ExpectMatMul({{2, 3}, kA23, {3, 2}, kB32, {2, 2}, {4, 5, 10, 11}}); }

TEST(MatMulTest, VectorOperandsLoseTheirPromotedDim) {
  ExpectMatMul({{3}, {1, 2, 3}, {3, 2}, kB32, {2}, {4, 5}});
  ExpectMatMul({{2, 3}, kA23, {3}, {1, 1, 1}, {2}, {6, 15}});
  ExpectMatMul({{3}, {1, 2, 3}, {3}, {1, 1, 1}, {}, {6}});
  // A vector against a batch of matrices.
  ExpectMatMul({{2}, {1, 2}, {2, 2, 1}, {1, 1, 2, 0}, {2, 1}, {3, 2}});
}

TEST(MatMulTest, BatchesBroadcast) {
  // Shared B folds the batch into M.
  ExpectMatMul({{2, 2, 3},
                {1, 2, 3, 4, 5, 6, 1, 0, 0, 0, 0, 1},
                {3, 2},
                kB32,
                {2, 2, 2},
                {4, 5, 10, 11, 1, 0, 1, 1}});
  // [2,1] x [3] batch dims -> [2,3]: each A row vector against each B column vector.
  ExpectMatMul({{2, 1, 1, 2},
                {1, 2, 3, 4},
                {3, 2, 1},
                {1, 1, 1, 0, 0, 1},
                {2, 3, 1, 1},
                {3, 1, 2, 7, 3, 4}});
  // Batched A against a batch-of-one B.
  ExpectMatMul({{2, 1, 2}, {1, 2, 3, 4}, {1, 2, 1}, {1, 10}, {2, 1, 1}, {21, 43}});
}

TEST(MatMulTest, RejectsBadShapesAndDtypes) {
  auto run = [](Shape a, Shape b) {
    return RunOp("MatMul", Attrs({}),
                 {Tensor::FromFloats(a, std::vector<float>(ElementCount(a))),
                  Tensor::FromFloats(b, std::vector<float>(ElementCount(b)))},
                 1)
        .status()
        .code();
  };
  EXPECT_EQ(run({2, 3}, {2, 3}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run({}, {3}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run({2, 1, 2}, {3, 2, 1}), StatusCode::kInvalidArgument);  // batch 2 vs 3
  EXPECT_EQ(RunOp("MatMul", Attrs({}),
                  {Tensor::FromInt64s({1, 1}, {1}), Tensor::FromInt64s({1, 1}, {1})}, 1)
                .status()
                .code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kinglet
