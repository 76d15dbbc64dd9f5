// The ops whose fast kernels need SIMD (kernels/simd_clones.h: AVX2 on x86-64) give the same
// results on the portable path a CPU without them takes: Winograd falls back to the GEMM, the
// 3x3 depthwise plane to the general one, max pooling and the recurrent gate math to the
// reference kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/simd_clones.h"
#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntAttr;
using testing::IntsAttr;
using testing::RandomTensor;
using testing::RunOp;

// Runs the op with SIMD kernels on and then off; the two results must agree.
void ExpectSamePortable(const std::string& op, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
                        size_t outputs, float tolerance) {
  auto fast = RunOp(op, attrs, inputs, outputs);
  kernels::EnableSimdKernelsForTesting(false);
  EXPECT_FALSE(kernels::SimdKernelsAvailable());
  auto portable = RunOp(op, attrs, inputs, outputs);
  kernels::EnableSimdKernelsForTesting(true);
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  ASSERT_TRUE(portable.ok()) << portable.status().ToString();
  for (size_t o = 0; o < outputs; ++o) {
    const Tensor& a = (*fast)[o];
    const Tensor& b = (*portable)[o];
    ASSERT_EQ(a.shape(), b.shape()) << op << " output " << o;
    for (int64_t i = 0; i < a.element_count(); ++i) {
      ASSERT_NEAR(a.data<float>()[i], b.data<float>()[i], tolerance)
          << op << " output " << o << " element " << i;
    }
  }
}

TEST(PortablePathsTest, WinogradConvFallsBackToGemm) {
  std::mt19937 rng(1);
  // 3x3, stride 1, 16 channels in and out: the shape the conv op runs by Winograd.
  const Tensor x = RandomTensor({1, 16, 13, 11}, rng), w = RandomTensor({16, 16, 3, 3}, rng), b = RandomTensor({16}, rng);
  ExpectSamePortable("Conv", Attrs({IntsAttr("pads", {1, 1, 1, 1})}), {x, w, b}, 1, 1e-4f);
}

TEST(PortablePathsTest, DepthwiseThreeByThreeFallsBackToTheGeneralPlane) {
  std::mt19937 rng(2);
  for (int64_t stride : {1, 2}) {
    const Tensor x = RandomTensor({2, 8, 15, 10}, rng), w = RandomTensor({8, 1, 3, 3}, rng), b = RandomTensor({8}, rng);
    ExpectSamePortable(
        "Conv",
        Attrs({IntAttr("group", 8), IntsAttr("pads", {1, 1, 1, 1}), IntsAttr("strides", {stride, stride})}),
        {x, w, b}, 1, 1e-5f);
  }
}

TEST(PortablePathsTest, MaxPoolFallsBackToTheReference) {
  std::mt19937 rng(3);
  const Tensor x = RandomTensor({1, 3, 17, 12}, rng);
  ExpectSamePortable("MaxPool", Attrs({IntsAttr("kernel_shape", {3, 3}), IntsAttr("strides", {2, 2})}), {x},
                     1, 0.0f);
}

TEST(PortablePathsTest, LstmFallsBackToTheReferenceGateMath) {
  std::mt19937 rng(4);
  const int64_t seq = 5, batch = 2, input = 7, hidden = 9;
  const Tensor x = RandomTensor({seq, batch, input}, rng), w = RandomTensor({1, 4 * hidden, input}, rng),
               r = RandomTensor({1, 4 * hidden, hidden}, rng), b = RandomTensor({1, 8 * hidden}, rng);
  // The fast sigmoid/tanh are polynomials within a few ulp of libm's.
  ExpectSamePortable("LSTM", Attrs({IntAttr("hidden_size", hidden)}), {x, w, r, b}, 1, 1e-5f);
}

}  // namespace
}  // namespace kinglet
