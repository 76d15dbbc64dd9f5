// A Gemm whose weights the artifact stored as int8 runs the int8 GEMM (bit for bit what
// kernels/qgemm computes), and the same graph with float weights runs the float GEMM.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "ir/graph.h"
#include "kernels/qgemm.h"
#include "kinglet/model.h"
#include "kinglet/session.h"

namespace kinglet {
namespace {

constexpr int64_t kBatch = 3, kIn = 37, kOut = 21;

// y = x * W^T + b; `int8` marks W as stored int8 (as a .kgl reader would).
std::shared_ptr<const Model> FullyConnected(const std::vector<float>& w, const std::vector<float>& b, bool int8) {
  ir::Graph g;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {kBatch, kIn}, true});
  const int32_t wv = g.AddValue({"w", DataType::kFloat32, {kOut, kIn}, true});
  const int32_t bv = g.AddValue({"b", DataType::kFloat32, {kOut}, true});
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {kBatch, kOut}, true});
  g.inputs = {x};
  g.outputs = {y};
  g.constants[wv] = Tensor::FromFloats({kOut, kIn}, w);
  g.constants[bv] = Tensor::FromFloats({kOut}, b);
  if (int8) g.constant_storage[wv] = ir::StoredConstant{ir::Encoding::kCompressed, "int8", kOut * kIn};
  ir::Node gemm{"fc", "Gemm", {x, wv, bv}, {y}, {}};
  gemm.attrs.Set(ir::Attribute::Int("transB", 1));
  g.nodes = {gemm};
  auto model = Model::FromGraph(std::move(g));
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

TEST(Int8Gemm, Int8StoredWeightsRunTheInt8KernelFloatOnesDoNot) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> w(kOut * kIn), b(kOut), x(kBatch * kIn);
  for (auto* v : {&w, &b, &x}) {
    for (float& f : *v) f = value(rng);
  }
  const Tensor input = Tensor::FromFloats({kBatch, kIn}, x);
  std::vector<NamedTensor> int8_out, float_out;
  for (int threads : {1, 2}) {
    auto int8_session = Session::Create(FullyConnected(w, b, true), SessionOptions{threads});
    auto float_session = Session::Create(FullyConnected(w, b, false), SessionOptions{threads});
    ASSERT_TRUE(int8_session.ok() && float_session.ok());
    ASSERT_TRUE((*int8_session)->Run({{"x", input}}, &int8_out).ok());
    ASSERT_TRUE((*float_session)->Run({{"x", input}}, &float_out).ok());

    const kernels::QuantizedMatrix qw = kernels::QuantizeSgemmB(kIn, kOut, kernels::MatrixView{w.data(), 1, kIn});
    std::vector<float> want(kBatch * kOut);
    kernels::QGemmProblem pr;
    pr.m = kBatch;
    pr.a = x.data();
    pr.lda = kIn;
    pr.b = &qw;
    pr.c = want.data();
    pr.ldc = kOut;
    pr.col_bias = b.data();
    std::vector<unsigned char> scratch(kernels::QGemmScratchBytes(kBatch, kIn));
    kernels::QGemmRun(kernels::BestQGemmKernel(), pr, nullptr, scratch.data());

    int differ = 0;
    for (int64_t i = 0; i < kBatch * kOut; ++i) {
      EXPECT_EQ(int8_out[0].tensor.data<float>()[i], want[i]) << "threads " << threads << " at " << i;
      differ += int8_out[0].tensor.data<float>()[i] != float_out[0].tensor.data<float>()[i];
      EXPECT_NEAR(int8_out[0].tensor.data<float>()[i], float_out[0].tensor.data<float>()[i], 0.05f);
    }
    EXPECT_GT(differ, 0) << "the float graph must not take the int8 path";
  }
}

}  // namespace
}  // namespace kinglet
