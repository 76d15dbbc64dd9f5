// Direct depthwise convolution against the reference Conv (+ activation) on random geometries:
// 3x3/5x5/odd kernels, strides 1-3, dilations, asymmetric pads, channel multipliers, batches,
// planes from 1 to 60 wide, on one thread and on a pool, with scratch that starts as garbage.
#include "kernels/depthwise_conv_2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/reference/conv.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

TEST(DepthwiseConv2dTest, RandomGeometriesMatchTheReference) {
  std::mt19937 rng(404);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  runtime::ThreadPool pool(3);
  for (int trial = 0; trial < 300; ++trial) {
    reference::ConvParams p;
    p.batch = pick(1, 2);
    p.group = p.in_channels = pick(2, 9);
    p.out_channels = p.group * (trial % 5 == 0 ? 2 : 1);
    for (int d = 0; d < 2; ++d) {
      // Every third trial is MobileNet's shape (3x3, undilated, stride 1 or 2; pad 1 or any other),
      // some on planes wider than a few 8-float blocks.
      const bool mobilenet = trial % 3 == 1;
      const int64_t in = trial % 12 == 1 ? pick(21, 60) : pick(1, 20), kernel = mobilenet ? 3 : pick(1, 5);
      const int64_t stride = mobilenet ? pick(1, 2) : pick(1, 3), dilation = mobilenet ? 1 : pick(1, 2);
      const bool pad_one = mobilenet && trial % 2 == 1;
      const int64_t pad_begin = pad_one ? 1 : pick(0, 2), pad_end = pad_one ? 1 : pick(0, 2);
      const int64_t span = (kernel - 1) * dilation + 1;
      const int64_t out = (in + pad_begin + pad_end - span) / stride + 1;
      if (out < 1) {
        p.kernel.push_back(1);
        p.dilations.push_back(1);
        p.pads_begin.push_back(0);
        p.pads_end.push_back(0);
        p.out_spatial.push_back((in - 1) / stride + 1);
      } else {
        p.kernel.push_back(kernel);
        p.dilations.push_back(dilation);
        p.pads_begin.push_back(pad_begin);
        p.pads_end.push_back(pad_end);
        p.out_spatial.push_back(out);
      }
      p.in_spatial.push_back(in);
      p.strides.push_back(stride);
    }
    ASSERT_TRUE(DepthwiseConv2dApplies(p));
    std::vector<float> x(p.batch * p.in_channels * p.in_spatial[0] * p.in_spatial[1]);
    std::vector<float> w(p.out_channels * p.kernel[0] * p.kernel[1]), bias(p.out_channels);
    for (auto* v : {&x, &w, &bias}) {
      for (float& f : *v) f = value(rng);
    }
    const bool with_bias = trial % 2 == 0;
    reference::FusedActivationParams activation;
    if (trial % 3 == 0 || trial % 7 == 1) {
      activation.kind = reference::FusedActivationKind::kClip;  // MobileNet's ReLU6
      activation.min = 0.0f;
      activation.max = 0.5f;
    } else if (trial % 4 == 1) {
      activation.kind = reference::FusedActivationKind::kRelu;
    } else if (trial % 5 == 1) {
      activation.kind = reference::FusedActivationKind::kLeakyRelu;
      activation.alpha = 0.1f;
    }
    const size_t y_count = p.batch * p.out_channels * p.out_spatial[0] * p.out_spatial[1];
    std::vector<float> expected(y_count), got(y_count, std::nanf(""));
    std::vector<unsigned char> scratch(reference::ConvScratchBytes(p) + 1);
    reference::Conv(p, x.data(), w.data(), with_bias ? bias.data() : nullptr, expected.data(), scratch.data());
    reference::ApplyFusedActivation(activation, expected.data(), static_cast<int64_t>(y_count));
    runtime::ThreadPool* threads = trial % 2 == 0 ? &pool : nullptr;
    // NaN bytes: the kernel must write every scratch float it reads (the planes' zero borders).
    std::vector<unsigned char> dw_scratch(
        DepthwiseConv2dScratchBytes(p, threads != nullptr ? threads->size() : 1), 0xff);
    DepthwiseConv2d(p, x.data(), w.data(), with_bias ? bias.data() : nullptr, activation, got.data(), threads,
                    dw_scratch.data());
    for (size_t i = 0; i < y_count; ++i) {
      ASSERT_NEAR(got[i], expected[i], 1e-5f) << "trial " << trial << " element " << i;
    }
  }
}

TEST(DepthwiseConv2dTest, OnlyOneInputChannelPerGroupIn2d) {
  reference::ConvParams p;
  p.kernel = {3, 3};
  p.group = p.in_channels = p.out_channels = 8;
  EXPECT_TRUE(DepthwiseConv2dApplies(p));
  p.in_channels = 16;  // two input channels per group
  EXPECT_FALSE(DepthwiseConv2dApplies(p));
  p.in_channels = 8;
  p.kernel = {3};
  EXPECT_FALSE(DepthwiseConv2dApplies(p));
}

}  // namespace
}  // namespace kinglet::kernels
