// A Conv whose weights the artifact stored as int8 runs the int8 convolution (bit for bit what
// kernels/qconv computes) where QConvPays for this CPU's int8 kernel, and the float conv
// otherwise; the same graph with float weights runs a float conv; an input holding NaN takes the
// float path: NaN only where the receptive fields hold it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "ir/graph.h"
#include "kernels/qconv.h"
#include "kinglet/model.h"
#include "kinglet/session.h"

namespace kinglet {
namespace {

// y = conv(x, W, b): 4 -> 32 channels (36 taps), 3x3 at stride 2 with pads 1 on 9x9 planes, a
// batch of 2; `int8` marks W as stored int8 (as a .kgl reader would).
constexpr int64_t kIn = 4, kOut = 32, kTaps = kIn * 9, kXSize = 2 * kIn * 81, kYSize = 2 * kOut * 25;

std::shared_ptr<const Model> Conv(const std::vector<float>& w, const std::vector<float>& b, bool int8) {
  ir::Graph g;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {2, kIn, 9, 9}, true});
  const int32_t wv = g.AddValue({"w", DataType::kFloat32, {kOut, kIn, 3, 3}, true});
  const int32_t bv = g.AddValue({"b", DataType::kFloat32, {kOut}, true});
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {2, kOut, 5, 5}, true});
  g.inputs = {x};
  g.outputs = {y};
  g.constants[wv] = Tensor::FromFloats({kOut, kIn, 3, 3}, w);
  g.constants[bv] = Tensor::FromFloats({kOut}, b);
  if (int8) g.constant_storage[wv] = ir::StoredConstant{ir::Encoding::kCompressed, "int8", kOut * kTaps};
  ir::Node conv{"conv", "Conv", {x, wv, bv}, {y}, {}};
  conv.attrs.Set(ir::Attribute::Ints("strides", {2, 2}));
  conv.attrs.Set(ir::Attribute::Ints("pads", {1, 1, 1, 1}));
  g.nodes = {conv};
  auto model = Model::FromGraph(std::move(g));
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

kernels::reference::ConvParams Params() {
  kernels::reference::ConvParams p;
  p.batch = 2;
  p.in_channels = kIn;
  p.out_channels = kOut;
  p.in_spatial = {9, 9};
  p.out_spatial = {5, 5};
  p.kernel = {3, 3};
  p.strides = {2, 2};
  p.dilations = {1, 1};
  p.pads_begin = p.pads_end = {1, 1};
  return p;
}

std::vector<float> Outputs(const std::shared_ptr<const Model>& model, int threads,
                           const std::vector<float>& x) {
  auto session = Session::Create(model, SessionOptions{threads});
  EXPECT_TRUE(session.ok());
  std::vector<NamedTensor> out;
  EXPECT_TRUE((*session)->Run({{"x", Tensor::FromFloats({2, kIn, 9, 9}, x)}}, &out).ok());
  const float* y = out[0].tensor.data<float>();
  return std::vector<float>(y, y + kYSize);
}

class Int8Conv : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    for (auto* v : {&w_, &b_, &x_}) {
      for (float& f : *v) f = value(rng);
    }
  }
  std::vector<float> w_ = std::vector<float>(kOut * kTaps), b_ = std::vector<float>(kOut),
                     x_ = std::vector<float>(kXSize);
};

TEST_F(Int8Conv, Int8StoredWeightsRunTheInt8KernelWhereItPaysFloatOnesNever) {
  const kernels::reference::ConvParams p = Params();
  const kernels::QGemmKernel& kernel = kernels::BestQGemmKernel();
  const kernels::QConvWeights qw = kernels::QuantizeConvWeights(p, w_.data());
  std::vector<float> int8(kYSize);
  std::vector<unsigned char> scratch(kernels::QConvScratchBytes(p, 1));
  ASSERT_TRUE(kernels::QConv(kernel, p, qw, x_.data(), b_.data(), {}, int8.data(), nullptr, scratch.data()));
  const bool pays = kernels::QConvPays(kernel, p);
  for (int threads : {1, 2}) {
    const std::vector<float> got = Outputs(Conv(w_, b_, true), threads, x_);
    const std::vector<float> as_float = Outputs(Conv(w_, b_, false), threads, x_);
    int differ = 0;
    for (int64_t i = 0; i < kYSize; ++i) {
      EXPECT_EQ(got[i], pays ? int8[i] : as_float[i]) << kernel.name << " threads " << threads << " at " << i;
      EXPECT_NEAR(int8[i], as_float[i], 0.1f);
      differ += int8[i] != as_float[i];
    }
    EXPECT_GT(differ, 0) << "the int8 and the float convolution must be told apart";
  }
}

TEST_F(Int8Conv, AnInputHoldingNanGivesNanOnlyWhereItsReceptiveFieldsReach) {
  x_[81 + 9 * 4 + 4] = std::nanf("");  // image 0, channel 1, the centre pixel (4, 4)
  for (int threads : {1, 2}) {
    const std::vector<float> got = Outputs(Conv(w_, b_, true), threads, x_);
    for (int64_t m = 0; m < kOut; ++m) {
      for (int64_t oh = 0; oh < 5; ++oh) {
        for (int64_t ow = 0; ow < 5; ++ow) {
          // Pixel (4, 4) lies in the windows of output rows and columns 2 only (stride 2, pad 1).
          const bool reached = oh == 2 && ow == 2;
          EXPECT_EQ(std::isnan(got[(m * 5 + oh) * 5 + ow]), reached) << m << " " << oh << " " << ow;
          EXPECT_FALSE(std::isnan(got[kOut * 25 + (m * 5 + oh) * 5 + ow])) << "image 1";
        }
      }
    }
  }
}

}  // namespace
}  // namespace kinglet
