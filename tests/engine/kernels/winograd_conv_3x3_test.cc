// Winograd F(2x2, 3x3) and F(4x4, 3x3) against the reference Conv (+ activation): odd and even output sizes
// (partial edge tiles), pads 0..2 and asymmetric, batches, channel counts around the GEMM's tile
// sizes, whole planes and blocks of tile rows, with every GEMM tile this CPU runs, on one thread
// and on a pool.
#include "kernels/winograd_conv_3x3.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/reference/conv.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

TEST(WinogradConv3x3Test, RandomGeometriesMatchTheReference) {
  std::mt19937 rng(2016);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  runtime::ThreadPool pool(3);
  for (const SgemmKernel* kernel : AvailableSgemmKernels()) {
    for (int trial = 0; trial < 80; ++trial) {
      const int tile = trial % 4 < 2 ? 2 : 4;
      reference::ConvParams p;
      p.batch = pick(1, 2);
      p.in_channels = pick(1, 40);
      p.out_channels = pick(1, 40);
      p.kernel = {3, 3};
      p.strides = p.dilations = {1, 1};
      p.pads_begin = {pick(0, 2), pick(0, 2)};
      p.pads_end = {pick(0, 2), pick(0, 2)};
      for (int d = 0; d < 2; ++d) {
        const int64_t in = pick(3, 17);
        p.in_spatial.push_back(in);
        p.out_spatial.push_back(in + p.pads_begin[d] + p.pads_end[d] - 2);
      }
      ASSERT_TRUE(WinogradConv3x3Applies(p));
      std::vector<float> x(p.batch * p.in_channels * p.in_spatial[0] * p.in_spatial[1]);
      std::vector<float> w(p.out_channels * p.in_channels * 9), bias(p.out_channels);
      for (auto* v : {&x, &w, &bias}) {
        for (float& f : *v) f = value(rng);
      }
      reference::FusedActivationParams activation;
      if (trial % 2 == 0) activation.kind = reference::FusedActivationKind::kRelu;
      const bool with_bias = trial % 3 != 0;
      const size_t y_count = p.batch * p.out_channels * p.out_spatial[0] * p.out_spatial[1];
      std::vector<float> expected(y_count), got(y_count, std::nanf(""));
      std::vector<unsigned char> ref_scratch(reference::ConvScratchBytes(p) + 1);
      reference::Conv(p, x.data(), w.data(), with_bias ? bias.data() : nullptr, expected.data(),
                      ref_scratch.data());
      reference::ApplyFusedActivation(activation, expected.data(), static_cast<int64_t>(y_count));

      runtime::ThreadPool* threads = trial / 2 % 2 == 1 ? &pool : nullptr;
      WinogradWeights weights = TransformWinogradWeights(*kernel, p, w.data(), tile);
      // Every third trial runs the plane in blocks of one or a few tile rows.
      if (trial % 3 == 2) weights.max_block_bytes = 4096;
      std::vector<unsigned char> scratch(
          WinogradConv3x3ScratchBytes(*kernel, p, weights, threads ? threads->size() : 1) + 64);
      void* aligned = scratch.data() + (64 - reinterpret_cast<uintptr_t>(scratch.data()) % 64) % 64;
      WinogradConv3x3(*kernel, p, weights, x.data(), with_bias ? bias.data() : nullptr, activation,
                      got.data(), threads, aligned);
      // The transforms reorder the sums (F(2x2)) and scale terms by up to 8 (F(4x4)): rounding
      // grows with that and with sqrt(9 C).
      const float tolerance = 2e-6f * std::sqrt(9.0f * p.in_channels) * (tile == 2 ? 4.0f : 8.0f);
      for (size_t i = 0; i < y_count; ++i) {
        ASSERT_NEAR(got[i], expected[i], tolerance * (1.0f + std::fabs(expected[i])))
            << kernel->name << " F(" << tile << "x" << tile << ") trial " << trial << " element " << i;
      }
    }
  }
}

TEST(WinogradConv3x3Test, OnlyUngroupedUndilatedUnitStride3x3) {
  reference::ConvParams p;
  p.kernel = {3, 3};
  p.strides = p.dilations = {1, 1};
  p.group = 1;
  EXPECT_TRUE(WinogradConv3x3Applies(p));
  p.strides = {2, 2};
  EXPECT_FALSE(WinogradConv3x3Applies(p));
  p.strides = {1, 1};
  p.dilations = {2, 2};
  EXPECT_FALSE(WinogradConv3x3Applies(p));
  p.dilations = {1, 1};
  p.kernel = {5, 5};
  EXPECT_FALSE(WinogradConv3x3Applies(p));
  p.kernel = {3, 3};
  p.group = 2;
  EXPECT_FALSE(WinogradConv3x3Applies(p));
}

// F(4x4) on large planes with many channels; F(2x2) where 4x4 tiles would leave the GEMM's
// column panels mostly empty (a 7x7 plane: 4 tiles against 16 for F(2x2)), where rows are too
// short for F(4x4)'s transforms to vectorise, or where few channels leave the transforms to
// dominate.
TEST(WinogradConv3x3Test, ChoosesTheTileByTheWorkTheGemmsRun) {
  reference::ConvParams p;
  p.in_channels = p.out_channels = 64;
  p.kernel = {3, 3};
  p.strides = p.dilations = {1, 1};
  p.pads_begin = p.pads_end = {1, 1};
  for (const SgemmKernel* kernel : AvailableSgemmKernels()) {
    p.in_spatial = p.out_spatial = {56, 56};
    EXPECT_EQ(ChooseWinogradTile(*kernel, p), 4) << kernel->name;
    p.in_spatial = p.out_spatial = {7, 7};
    EXPECT_EQ(ChooseWinogradTile(*kernel, p), 2) << kernel->name;
    p.in_channels = p.out_channels = 256;
    p.in_spatial = p.out_spatial = {14, 14};  // 4 tiles per row: the transforms would not vectorise
    EXPECT_EQ(ChooseWinogradTile(*kernel, p), 2) << kernel->name;
    p.in_channels = 16;
    p.out_channels = 64;
    p.in_spatial = p.out_spatial = {55, 55};
    EXPECT_EQ(ChooseWinogradTile(*kernel, p), 2) << kernel->name;
    p.in_channels = p.out_channels = 64;
  }
}

}  // namespace
}  // namespace kinglet::kernels
