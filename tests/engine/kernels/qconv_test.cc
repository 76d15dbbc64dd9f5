// The int8 convolution with every int8 tile this CPU runs, on random ungrouped 2-D geometries —
// strides, dilations, asymmetric pads, rows wider than one block of eight pixels and their tails,
// a batch — on 1 and 3 threads: exactly the quantized convolution (X quantized per image, W per
// output channel, the sums exact) computed here directly, and within the quantization's error of
// the float reference Conv.
#include "kernels/qconv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kernels/interleave_quads.h"
#include "kernels/reference/conv.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

using reference::ConvParams;

ConvParams Random2d(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  ConvParams p;
  p.batch = pick(1, 2);
  p.in_channels = pick(1, 9);
  p.out_channels = pick(1, 21);
  for (int d = 0; d < 2; ++d) {
    const int64_t kernel = pick(1, 5), dilation = kernel > 1 ? pick(1, 2) : 1;
    const int64_t pad_begin = pick(0, 2), pad_end = pick(0, 2), stride = pick(1, 3);
    const int64_t span = (kernel - 1) * dilation + 1;
    const int64_t in = std::max<int64_t>(span - pad_begin - pad_end, 1) + pick(0, 30);
    p.in_spatial.push_back(in);
    p.kernel.push_back(kernel);
    p.strides.push_back(stride);
    p.dilations.push_back(dilation);
    p.pads_begin.push_back(pad_begin);
    p.pads_end.push_back(pad_end);
    p.out_spatial.push_back((in + pad_begin + pad_end - span) / stride + 1);
  }
  return p;
}

// One image, c -> m channels, in x in planes, a square kernel at stride 1, unpadded.
ConvParams Unpadded(int64_t c, int64_t m, int64_t in, int64_t kernel) {
  ConvParams p;
  p.in_channels = c;
  p.out_channels = m;
  p.in_spatial = {in, in};
  p.out_spatial = {in - kernel + 1, in - kernel + 1};
  p.kernel = {kernel, kernel};
  p.strides = p.dilations = {1, 1};
  p.pads_begin = p.pads_end = {0, 0};
  return p;
}

// round(v * 127 / max|v|) over `count` values; returns the scale max|v| / 127.
double QuantizeHere(const float* v, int64_t count, std::vector<int>* q) {
  float max_abs = 0.0f;
  for (int64_t i = 0; i < count; ++i) max_abs = std::max(max_abs, std::fabs(v[i]));
  const float inverse = 127.0f / max_abs;
  q->resize(count);
  for (int64_t i = 0; i < count; ++i) (*q)[i] = static_cast<int>(std::nearbyint(v[i] * inverse));
  return max_abs / 127.0f;
}

// The quantized convolution, directly: y = scale_x * scale_w[m] * sum(qx * qw) + bias[m].
std::vector<double> Expected(const ConvParams& p, const std::vector<float>& x, const std::vector<float>& w,
                             const std::vector<float>& bias) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1], out_h = p.out_spatial[0],
                out_w = p.out_spatial[1];
  const int64_t patch = p.in_channels * p.kernel[0] * p.kernel[1], image = p.in_channels * in_h * in_w;
  std::vector<double> y(p.batch * p.out_channels * out_h * out_w);
  std::vector<int> qx, qw;
  for (int64_t n = 0; n < p.batch; ++n) {
    const double sx = QuantizeHere(x.data() + n * image, image, &qx);
    for (int64_t m = 0; m < p.out_channels; ++m) {
      const double sw = QuantizeHere(w.data() + m * patch, patch, &qw);
      for (int64_t oh = 0; oh < out_h; ++oh) {
        for (int64_t ow = 0; ow < out_w; ++ow) {
          int64_t sum = 0;
          for (int64_t c = 0; c < p.in_channels; ++c) {
            for (int64_t kh = 0; kh < p.kernel[0]; ++kh) {
              for (int64_t kw = 0; kw < p.kernel[1]; ++kw) {
                const int64_t ih = oh * p.strides[0] + kh * p.dilations[0] - p.pads_begin[0];
                const int64_t iw = ow * p.strides[1] + kw * p.dilations[1] - p.pads_begin[1];
                if (ih < 0 || ih >= in_h || iw < 0 || iw >= in_w) continue;
                sum +=
                    int64_t{qx[(c * in_h + ih) * in_w + iw]} * qw[(c * p.kernel[0] + kh) * p.kernel[1] + kw];
              }
            }
          }
          y[((n * p.out_channels + m) * out_h + oh) * out_w + ow] =
              static_cast<double>(sum) * sx * sw + bias[m];
        }
      }
    }
  }
  return y;
}

// Exactly QConvScratchBytes (a multiple of 64), 64-byte aligned, so that a sanitizer sees any
// write past it.
struct Scratch {
  explicit Scratch(size_t bytes) : data(std::aligned_alloc(64, bytes)) {}
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(data); }
  void* data;
};

// QConv of random X, W and bias by `kernel` against the quantized convolution computed here and
// the float reference (with ReLU fused when `relu`).
void Check(const QGemmKernel& kernel, const ConvParams& p, bool relu_fused, runtime::ThreadPool* pool,
           std::mt19937& rng, const std::string& what) {
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  const int64_t patch = p.in_channels * p.kernel[0] * p.kernel[1];
  std::vector<float> x(p.batch * p.in_channels * p.in_spatial[0] * p.in_spatial[1]);
  std::vector<float> w(p.out_channels * patch), bias(p.out_channels);
  for (auto* v : {&x, &w, &bias}) {
    for (float& e : *v) e = value(rng);
  }
  const int64_t y_count = p.batch * p.out_channels * p.out_spatial[0] * p.out_spatial[1];
  std::vector<float> as_float(y_count), got(y_count, std::nanf(""));
  std::vector<unsigned char> ref_scratch(reference::ConvScratchBytes(p));
  reference::Conv(p, x.data(), w.data(), bias.data(), as_float.data(), ref_scratch.data());
  std::vector<double> want = Expected(p, x, w, bias);
  reference::FusedActivationParams relu;
  if (relu_fused) {
    relu.kind = reference::FusedActivationKind::kRelu;
    reference::ApplyFusedActivation(relu, as_float.data(), y_count);
    for (double& v : want) v = std::max(v, 0.0);
  }
  const QConvWeights qw = QuantizeConvWeights(p, w.data());
  const size_t bytes = QConvScratchBytes(p, pool != nullptr ? pool->size() : 1);
  ASSERT_EQ(bytes % 64, 0u);
  Scratch scratch(bytes);
  ASSERT_TRUE(QConv(kernel, p, qw, x.data(), bias.data(), relu, got.data(), pool, scratch.data));
  // Each product is off by at most half a quantization step of each operand.
  const double quantization = 0.02 * std::sqrt(static_cast<double>(patch)) + 1e-3;
  for (int64_t i = 0; i < y_count; ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-5 * (1.0 + std::fabs(want[i])))
        << kernel.name << " " << what << " at " << i;
    ASSERT_NEAR(got[i], as_float[i], quantization) << kernel.name << " " << what << " at " << i;
  }
}

TEST(QConvTest, RandomGeometriesGiveTheQuantizedConvolutionAndStayNearTheFloatOne) {
  std::mt19937 rng(31);
  runtime::ThreadPool pool(3);
  for (const QGemmKernel* kernel : AvailableQGemmKernels()) {
    for (int trial = 0; trial < 60; ++trial) {
      const ConvParams p = Random2d(rng);
      ASSERT_TRUE(QConvApplies(p));
      Check(*kernel, p, trial % 2 == 1, trial % 3 == 0 ? &pool : nullptr, rng,
            "trial " + std::to_string(trial));
    }
  }
}

// Rows of five blocks (38 pixels: two pairs and an odd one with a tail) of interior receptive
// fields, read at the tap offsets; five channels (a tile of four and one of one).
TEST(QConvTest, InteriorBlocksOddBlockCountsAndPartialTilesGiveTheQuantizedConvolution) {
  std::mt19937 rng(41);
  runtime::ThreadPool pool(2);
  for (const QGemmKernel* kernel : AvailableQGemmKernels()) {
    Check(*kernel, Unpadded(8, 5, 40, 3), false, nullptr, rng, "8 -> 5 3x3 on 40x40");
    Check(*kernel, Unpadded(3, 6, 21, 5), true, &pool, rng, "3 -> 6 5x5 on 21x21 (75 taps)");
  }
}

TEST(QConvTest, AnInputHoldingNanOrInfinityIsLeftToTheFloatConv) {
  const ConvParams p = Unpadded(2, 3, 4, 3);
  std::vector<float> w(3 * 18, 0.5f), x(32, 1.0f), y(12, 7.0f);
  const QConvWeights qw = QuantizeConvWeights(p, w.data());
  Scratch scratch(QConvScratchBytes(p, 1));
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    x[17] = bad;
    EXPECT_FALSE(QConv(BestQGemmKernel(), p, qw, x.data(), nullptr, {}, y.data(), nullptr, scratch.data));
    for (float v : y) EXPECT_EQ(v, 7.0f) << "nothing written";
  }
  x[17] = 1.0f;
  ASSERT_TRUE(QConv(BestQGemmKernel(), p, qw, x.data(), nullptr, {}, y.data(), nullptr, scratch.data));
  for (float v : y) EXPECT_NEAR(v, 9.0f, 1e-5f);  // 18 taps of 0.5 * 1
}

TEST(QConvTest, AppliesToUngrouped2dConvsOnly) {
  ConvParams p = Unpadded(4, 4, 5, 1);
  EXPECT_TRUE(QConvApplies(p));
  p.group = 2;
  EXPECT_FALSE(QConvApplies(p));
  p.group = 1;
  p.in_spatial = {5, 5, 5};
  p.out_spatial = {5, 5, 5};
  p.kernel = {1, 1, 1};
  EXPECT_FALSE(QConvApplies(p));
}

TEST(QConvTest, PaysOnlyOnAKernelThatBeatsFloatWithEnoughChannelsAndTaps) {
  ConvParams p = Unpadded(8, 32, 9, 3);
  QGemmKernel fast = PortableQGemmKernel();
  fast.conv_beats_float = true;
  EXPECT_TRUE(QConvPays(fast, p));  // 32 channels of 72 taps
  EXPECT_FALSE(QConvPays(PortableQGemmKernel(), p));
  p.out_channels = 31;
  EXPECT_FALSE(QConvPays(fast, p));
  p.out_channels = 32;
  p.in_channels = 3;  // 27 taps
  EXPECT_FALSE(QConvPays(fast, p));
}

TEST(InterleaveQuadsTest, MatchesThePortableLoop) {
  std::mt19937 rng(8);
  std::uniform_int_distribution<int> byte(-128, 127);
  for (int trial = 0; trial < 20; ++trial) {
    int8_t rows[4][8];
    for (auto& row : rows) {
      for (int8_t& v : row) v = static_cast<int8_t>(byte(rng));
    }
    const int8_t* const row_pointers[4] = {rows[0], rows[1], rows[2], rows[3]};
    int8_t want[32], got[32];
    InterleaveQuadsPortable(row_pointers, want);
    InterleaveQuads(row_pointers, got);
    for (int i = 0; i < 32; ++i) ASSERT_EQ(got[i], want[i]) << "byte " << i;
    EXPECT_EQ(want[4 * 5 + 2], rows[2][5]);
  }
}

}  // namespace
}  // namespace kinglet::kernels
