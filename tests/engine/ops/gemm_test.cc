#include "kernels/reference/gemm.h"

#include <gtest/gtest.h>

#include <vector>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::FloatAttr;
using testing::IntAttr;
using testing::RunOp;

// A * B = [[4, 5], [10, 11]].
const Tensor kA = Tensor::FromFloats({2, 3}, {1, 2, 3, 4, 5, 6});
const Tensor kB = Tensor::FromFloats({3, 2}, {1, 0, 0, 1, 1, 1});

std::vector<float> Values(const Tensor& t) {
  return {t.data<float>(), t.data<float>() + t.element_count()};
}

std::vector<float> RunGemm(const ir::Attributes& attrs, const std::vector<Tensor>& in,
                           int64_t opset = 13) {
  auto r = RunOp("Gemm", attrs, in, 1, opset);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  return Values((*r)[0]);
}

TEST(GemmTest, BroadcastsEveryBiasShape) {
  using V = std::vector<float>;
  EXPECT_EQ(RunGemm(Attrs({}), {kA, kB, Tensor::FromFloats({2}, {10, 20})}), (V{14, 25, 20, 31}));
  EXPECT_EQ(RunGemm(Attrs({}), {kA, kB, Tensor::FromFloats({1, 2}, {10, 20})}),
            (V{14, 25, 20, 31}));
  EXPECT_EQ(RunGemm(Attrs({}), {kA, kB, Tensor::FromFloats({2, 1}, {100, 200})}),
            (V{104, 105, 210, 211}));
  EXPECT_EQ(RunGemm(Attrs({}), {kA, kB, Tensor::FromFloats({}, {1})}), (V{5, 6, 11, 12}));
  EXPECT_EQ(RunGemm(Attrs({}), {kA, kB, Tensor::FromFloats({1}, {1})}), (V{5, 6, 11, 12}));
  EXPECT_EQ(RunGemm(Attrs({FloatAttr("alpha", 2), FloatAttr("beta", 0.5f)}),
                    {kA, kB, Tensor::FromFloats({2, 2}, {1, 2, 3, 4})}),
            (V{8.5f, 11, 21.5f, 24}));
  // C is optional from opset 11.
  EXPECT_EQ(RunGemm(Attrs({}), {kA, kB}, 11), (V{4, 5, 10, 11}));
}

TEST(GemmTest, Transposes) {
  const Tensor at = Tensor::FromFloats({3, 2}, {1, 4, 2, 5, 3, 6});
  const Tensor bt = Tensor::FromFloats({2, 3}, {1, 0, 1, 0, 1, 1});
  const std::vector<float> want = {4, 5, 10, 11};
  EXPECT_EQ(RunGemm(Attrs({IntAttr("transA", 1)}), {at, kB}, 11), want);
  EXPECT_EQ(RunGemm(Attrs({IntAttr("transB", 1)}), {kA, bt}, 11), want);
  EXPECT_EQ(RunGemm(Attrs({IntAttr("transA", 1), IntAttr("transB", 1)}), {at, bt}, 11), want);
}

TEST(GemmTest, RejectsBadShapes) {
  const Tensor c = Tensor::FromFloats({2}, {0, 0});
  EXPECT_EQ(RunOp("Gemm", Attrs({}), {kA, kB}, 1, 9).status().code(),
            StatusCode::kInvalidArgument);  // C required
  EXPECT_EQ(RunOp("Gemm", Attrs({}), {kA, kA, c}, 1).status().code(),
            StatusCode::kInvalidArgument);  // K mismatch
  EXPECT_EQ(
      RunOp("Gemm", Attrs({}), {kA, kB, Tensor::FromFloats({3}, {0, 0, 0})}, 1).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(
      RunOp("Gemm", Attrs({}), {kA, kB, Tensor::FromFloats({1, 1, 2}, {0, 0})}, 1).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(RunOp("Gemm", Attrs({}), {Tensor::FromFloats({1, 2, 3}, {1, 2, 3, 4, 5, 6}), kB, c}, 1)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunOp("Gemm", Attrs({}),
                  {Tensor::FromInt64s({1, 1}, {1}), Tensor::FromInt64s({1, 1}, {1})}, 1)
                .status()
                .code(),
            StatusCode::kUnsupported);
}

// The kernel as Conv uses it: a per-row (output channel) bias and Y inside a wider buffer.
TEST(GemmKernelTest, ColumnBiasAndOutputStride) {
  namespace ref = kernels::reference;
  const float a[] = {1, 2, 3, 4, 5, 6};
  const float b[] = {1, 0, 0, 1, 1, 1};
  const float bias[] = {100, 200};
  float y[] = {-1, -1, -1, -1, -1, -1};
  ref::GemmParams p;
  p.m = 2;
  p.n = 2;
  p.k = 3;
  p.lda = 3;
  p.ldb = 2;
  p.ldy = 3;
  p.beta = 1.0f;
  p.ldc = 1;
  p.c_col_stride = 0;
  ref::Gemm(p, a, b, bias, y);
  EXPECT_EQ(std::vector<float>(y, y + 6), (std::vector<float>{104, 105, -1, 210, 211, -1}));
}

// Weights with at most 15% nonzero run on the sparse kernel at few rows of A; the result is the
// same product (small integers, so exact in any summation order).
TEST(GemmTest, PrunedWeightsGiveTheSameProduct) {
  const Tensor a = Tensor::FromFloats({2, 8}, {1, 2, 3, 4, 5, 6, 7, 8, -1, 0, 2, 0, 1, 0, 0, 3});
  // B^T [3 x 8]: 3 of 24 weights nonzero.
  const Tensor bt = Tensor::FromFloats({3, 8}, {0,  0, 1, 0, 0, 0, 0, 2,  //
                                                0,  0, 0, 0, 0, 0, 0, 0,  //
                                                -1, 0, 0, 0, 0, 0, 0, 0});
  auto r = RunOp("Gemm", Attrs({IntAttr("transB", 1)}), {a, bt, Tensor::FromFloats({3}, {10, 20, 30})}, 1, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values((*r)[0]), (std::vector<float>{29, 20, 29, 18, 20, 31}));
}

}  // namespace
}  // namespace kinglet
