// A Conv whose weights the artifact stored as int8 runs the int8 convolution (bit for bit what
// kernels/qconv computes), the same graph with float weights runs a float conv, and an input
// holding NaN takes the float path: NaN only where the receptive field holds it.
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

// y = conv(x, W, b): 3 -> 5 channels, 3x3 at stride 2 with pads 1 on 9x9 planes, a batch of 2;
// `int8` marks W as stored int8 (as a .kgl reader would).
std::shared_ptr<const Model> Conv(const std::vector<float>& w, const std::vector<float>& b, bool int8) {
  ir::Graph g;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {2, 3, 9, 9}, true});
  const int32_t wv = g.AddValue({"w", DataType::kFloat32, {5, 3, 3, 3}, true});
  const int32_t bv = g.AddValue({"b", DataType::kFloat32, {5}, true});
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {2, 5, 5, 5}, true});
  g.inputs = {x};
  g.outputs = {y};
  g.constants[wv] = Tensor::FromFloats({5, 3, 3, 3}, w);
  g.constants[bv] = Tensor::FromFloats({5}, b);
  if (int8) g.constant_storage[wv] = ir::StoredConstant{ir::Encoding::kCompressed, "int8", 5 * 27};
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
  p.in_channels = 3;
  p.out_channels = 5;
  p.in_spatial = {9, 9};
  p.out_spatial = {5, 5};
  p.kernel = {3, 3};
  p.strides = {2, 2};
  p.dilations = {1, 1};
  p.pads_begin = {1, 1};
  p.pads_end = {1, 1};
  return p;
}

std::vector<float> Outputs(const std::shared_ptr<const Model>& model, int threads,
                           const std::vector<float>& x) {
  auto session = Session::Create(model, SessionOptions{threads});
  EXPECT_TRUE(session.ok());
  std::vector<NamedTensor> out;
  EXPECT_TRUE((*session)->Run({{"x", Tensor::FromFloats({2, 3, 9, 9}, x)}}, &out).ok());
  const float* y = out[0].tensor.data<float>();
  return std::vector<float>(y, y + 2 * 5 * 25);
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
  std::vector<float> w_ = std::vector<float>(5 * 27), b_ = std::vector<float>(5),
                     x_ = std::vector<float>(2 * 3 * 81);
};

TEST_F(Int8Conv, Int8StoredWeightsRunTheInt8KernelFloatOnesDoNot) {
  const kernels::reference::ConvParams p = Params();
  const kernels::QConvWeights qw = kernels::QuantizeConvWeights(p, w_.data());
  std::vector<float> want(2 * 5 * 25);
  std::vector<unsigned char> scratch(kernels::QConvScratchBytes(p, 1));
  ASSERT_TRUE(kernels::QConv(kernels::BestQGemmKernel(), p, qw, x_.data(), b_.data(), {}, want.data(),
                             nullptr, scratch.data()));
  for (int threads : {1, 2}) {
    const std::vector<float> got = Outputs(Conv(w_, b_, true), threads, x_);
    const std::vector<float> as_float = Outputs(Conv(w_, b_, false), threads, x_);
    int differ = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i], want[i]) << "threads " << threads << " at " << i;
      differ += got[i] != as_float[i];
      EXPECT_NEAR(got[i], as_float[i], 0.05f);
    }
    EXPECT_GT(differ, 0) << "the float graph must not take the int8 path";
  }
}

TEST_F(Int8Conv, AnInputHoldingNanGivesNanOnlyWhereItsReceptiveFieldsReach) {
  x_[81 + 9 * 4 + 4] = std::nanf("");  // image 0, channel 1, the centre pixel (4, 4)
  for (int threads : {1, 2}) {
    const std::vector<float> got = Outputs(Conv(w_, b_, true), threads, x_);
    for (int64_t m = 0; m < 5; ++m) {
      for (int64_t oh = 0; oh < 5; ++oh) {
        for (int64_t ow = 0; ow < 5; ++ow) {
          // Pixel (4, 4) lies in the windows of output rows and columns 2 only (stride 2, pad 1).
          const bool reached = oh == 2 && ow == 2;
          EXPECT_EQ(std::isnan(got[(m * 5 + oh) * 5 + ow]), reached) << m << " " << oh << " " << ow;
          EXPECT_FALSE(std::isnan(got[125 + (m * 5 + oh) * 5 + ow])) << "image 1";
        }
      }
    }
  }
}

}  // namespace
}  // namespace kinglet
