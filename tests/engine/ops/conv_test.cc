#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::IntAttr;
using testing::IntsAttr;
using testing::RandomTensor;
using testing::RunOp;
using testing::StringAttr;

std::vector<float> Values(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.element_count()}; }

struct Geometry {
  int64_t group;
  std::vector<int64_t> strides, dilations, pads_begin, pads_end, out;
};

// The definition, written as directly as possible: one output element at a time.
std::vector<float> DirectConv(const Tensor& x, const Tensor& w, const Tensor* b, const Geometry& g) {
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  const size_t rank = xs.size() - 2;
  const int64_t n_batch = xs[0], c_in = xs[1], m_out = ws[0], cg = c_in / g.group, mg = m_out / g.group;
  int64_t out_size = 1, k_size = 1, in_size = 1;
  for (size_t d = 0; d < rank; ++d) out_size *= g.out[d], k_size *= ws[2 + d], in_size *= xs[2 + d];
  std::vector<float> y;
  for (int64_t n = 0; n < n_batch; ++n) {
    for (int64_t m = 0; m < m_out; ++m) {
      for (int64_t j = 0; j < out_size; ++j) {
        double sum = b ? b->data<float>()[m] : 0.0;
        for (int64_t c = 0; c < cg; ++c) {
          for (int64_t kk = 0; kk < k_size; ++kk) {
            int64_t in_off = 0, rest_o = j, rest_k = kk, stride = 1;
            bool inside = true;
            for (size_t d = rank; d-- > 0;) {
              const int64_t o = rest_o % g.out[d], k = rest_k % ws[2 + d];
              rest_o /= g.out[d], rest_k /= ws[2 + d];
              const int64_t i = o * g.strides[d] - g.pads_begin[d] + k * g.dilations[d];
              inside = inside && i >= 0 && i < xs[2 + d];
              in_off += i * stride;
              stride *= xs[2 + d];
            }
            if (!inside) continue;
            const int64_t ci = (m / mg) * cg + c;
            sum += double(x.data<float>()[(n * c_in + ci) * in_size + in_off]) *
                   w.data<float>()[(m * cg + c) * k_size + kk];
          }
        }
        y.push_back(static_cast<float>(sum));
      }
    }
  }
  return y;
}

TEST(ConvTest, MatchesDirectLoopOnRandomShapes) {
  std::mt19937 rng(7);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 40; ++trial) {
    const size_t rank = 1 + trial % 3;
    const int64_t group = std::vector<int64_t>{1, 2, 3}[pick(0, 2)];
    const bool depthwise = trial % 4 == 3;
    const int64_t cg = depthwise ? 1 : pick(1, 3);
    const int64_t mg = pick(1, 3);
    Shape xs = {pick(1, 2), cg * group}, ws = {mg * group, cg};
    Geometry g{group, {}, {}, {}, {}, {}};
    for (size_t d = 0; d < rank; ++d) {
      const int64_t k = pick(1, 3);
      g.strides.push_back(pick(1, 3));
      g.dilations.push_back(pick(1, 2));
      g.pads_begin.push_back(pick(0, 2));
      g.pads_end.push_back(pick(0, 2));
      const int64_t extent = (k - 1) * g.dilations[d] + 1;
      const int64_t in = extent + pick(0, rank == 3 ? 4 : 7);
      xs.push_back(in);
      ws.push_back(k);
      g.out.push_back((in + g.pads_begin[d] + g.pads_end[d] - extent) / g.strides[d] + 1);
    }
    const Tensor x = RandomTensor(xs, rng), w = RandomTensor(ws, rng), b = RandomTensor({ws[0]}, rng);
    const bool with_bias = trial % 2 == 0;
    std::vector<int64_t> pads = g.pads_begin;
    pads.insert(pads.end(), g.pads_end.begin(), g.pads_end.end());
    // kernel_shape is left out: it comes from W.
    auto r = RunOp("Conv",
                   Attrs({IntAttr("group", group), IntsAttr("strides", g.strides),
                          IntsAttr("dilations", g.dilations), IntsAttr("pads", pads)}),
                   with_bias ? std::vector<Tensor>{x, w, b} : std::vector<Tensor>{x, w}, 1);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Shape expected_shape = {xs[0], ws[0]};
    expected_shape.insert(expected_shape.end(), g.out.begin(), g.out.end());
    ASSERT_EQ((*r)[0].shape(), expected_shape) << "trial " << trial;
    const std::vector<float> expected = DirectConv(x, w, with_bias ? &b : nullptr, g);
    const std::vector<float> got = Values((*r)[0]);
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_NEAR(got[i], expected[i], 1e-4) << "trial " << trial << " element " << i;
    }
  }
}

// Weights pruned to about 10% run the sparse kernel (2-D, ungrouped, pointwise or not, batch 1
// and 2): same results as the definition. An input holding NaN or infinity takes the reference
// path, so 0 * inf still gives the dense definition's NaN.
TEST(ConvTest, PrunedWeightsMatchTheDefinitionAndKeepNaN) {
  std::mt19937 rng(17);
  std::bernoulli_distribution keep(0.1);
  for (int trial = 0; trial < 8; ++trial) {
    const bool pointwise = trial % 2 == 0;
    const int64_t k = pointwise ? 1 : 3;
    const Shape xs = {1 + trial % 3 / 2, 12, 9, 7};
    Tensor w = RandomTensor({20, 12, k, k}, rng);
    for (int64_t i = 0; i < w.element_count(); ++i) {
      if (!keep(rng)) w.data<float>()[i] = 0.0f;
    }
    Tensor x = RandomTensor(xs, rng);
    const Tensor b = RandomTensor({20}, rng);
    const int64_t pad = pointwise ? 0 : 1;
    const Geometry g{1, {1, 1}, {1, 1}, {pad, pad}, {pad, pad}, {9, 7}};
    auto run = [&] { return RunOp("Conv", Attrs({IntsAttr("pads", {pad, pad, pad, pad})}), {x, w, b}, 1); };
    auto r = run();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::vector<float> expected = DirectConv(x, w, &b, g);
    const std::vector<float> got = Values((*r)[0]);
    for (size_t i = 0; i < expected.size(); ++i) ASSERT_NEAR(got[i], expected[i], 1e-4) << trial << " " << i;

    // An infinity in channel 0: every output channel whose weights read it through a zero tap
    // becomes NaN, as in the dense definition.
    x.data<float>()[3] = std::numeric_limits<float>::infinity();
    auto poisoned = run();
    ASSERT_TRUE(poisoned.ok());
    const std::vector<float> dense = DirectConv(x, w, &b, g);
    const std::vector<float> sparse = Values((*poisoned)[0]);
    for (size_t i = 0; i < dense.size(); ++i) {
      if (std::isnan(dense[i])) {
        ASSERT_TRUE(std::isnan(sparse[i])) << trial << " " << i;
      } else if (std::isinf(dense[i])) {
        ASSERT_EQ(sparse[i], dense[i]) << trial << " " << i;
      } else {
        ASSERT_NEAR(sparse[i], dense[i], 1e-4) << trial << " " << i;
      }
    }
  }
}

// A 3x3 stride-1 conv with 16 channels each way runs Winograd, whose transforms would turn an
// infinite input into NaN; such an input runs the GEMM path and keeps the definition's +-inf.
TEST(ConvTest, InfiniteInputsKeepTheDefinitionsInfinities) {
  std::mt19937 rng(29);
  Tensor x = RandomTensor({1, 16, 8, 8}, rng);
  Tensor w = RandomTensor({16, 16, 3, 3}, rng);
  for (int64_t i = 0; i < w.element_count(); ++i) {
    if (w.data<float>()[i] == 0.0f) w.data<float>()[i] = 0.5f;  // no 0 * inf in the definition
  }
  x.data<float>()[2 * 64 + 3 * 8 + 4] = std::numeric_limits<float>::infinity();
  auto r = RunOp("Conv", Attrs({IntsAttr("pads", {1, 1, 1, 1})}), {x, w}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Geometry g{1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {8, 8}};
  const std::vector<float> want = DirectConv(x, w, nullptr, g);
  const std::vector<float> got = Values((*r)[0]);
  int infinities = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isinf(want[i])) {
      ++infinities;
      ASSERT_EQ(got[i], want[i]) << i;
    } else {
      ASSERT_NEAR(got[i], want[i], 1e-4) << i;
    }
  }
  EXPECT_EQ(infinities, 16 * 9);  // every output channel, the 3x3 outputs that read the pixel
}

TEST(ConvTest, AutoPadSamePutsTheOddPadAtTheRightEnd) {
  const Tensor x = Tensor::FromFloats({1, 1, 5}, {1, 2, 3, 4, 5});
  const Tensor w = Tensor::FromFloats({1, 1, 2}, {1, 10});
  auto upper = RunOp("Conv", Attrs({StringAttr("auto_pad", "SAME_UPPER")}), {x, w}, 1);
  auto lower = RunOp("Conv", Attrs({StringAttr("auto_pad", "SAME_LOWER")}), {x, w}, 1);
  auto valid = RunOp("Conv", Attrs({StringAttr("auto_pad", "VALID"), IntsAttr("strides", {2})}), {x, w}, 1);
  ASSERT_TRUE(upper.ok() && lower.ok() && valid.ok());
  EXPECT_EQ(Values((*upper)[0]), (std::vector<float>{21, 32, 43, 54, 5}));
  EXPECT_EQ(Values((*lower)[0]), (std::vector<float>{10, 21, 32, 43, 54}));
  EXPECT_EQ(Values((*valid)[0]), (std::vector<float>{21, 43}));
}

TEST(ConvTest, RejectsInconsistentInputs) {
  const Tensor x = Tensor::FromFloats({1, 4, 3, 3}, std::vector<float>(36, 1));
  const Tensor w = Tensor::FromFloats({2, 2, 2, 2}, std::vector<float>(16, 1));
  const auto conv = [&](std::vector<ir::Attribute> attrs, std::vector<Tensor> inputs) {
    return RunOp("Conv", Attrs(std::move(attrs)), inputs, 1).status();
  };
  EXPECT_TRUE(conv({IntAttr("group", 2)}, {x, w}).ok());
  EXPECT_EQ(conv({}, {x, w}).code(), StatusCode::kInvalidArgument);  // 4 channels vs 2*1
  EXPECT_FALSE(conv({IntAttr("group", 2)}, {x, w, Tensor::FromFloats({3}, {1, 2, 3})}).ok());
  EXPECT_FALSE(conv({IntAttr("group", 2), IntsAttr("kernel_shape", {3, 3})}, {x, w}).ok());
  EXPECT_FALSE(conv({IntAttr("group", 2), IntsAttr("dilations", {3, 3})}, {x, w}).ok());  // too big
  EXPECT_FALSE(conv({IntAttr("group", 2), IntsAttr("strides", {1})}, {x, w}).ok());
  EXPECT_FALSE(conv({IntAttr("group", 2), StringAttr("auto_pad", "SAME")}, {x, w}).ok());
  EXPECT_FALSE(
      conv({IntAttr("group", 2), StringAttr("auto_pad", "VALID"), IntsAttr("pads", {1, 1, 1, 1})}, {x, w})
          .ok());
  EXPECT_FALSE(conv({}, {Tensor::FromFloats({4, 3}, std::vector<float>(12, 1)), w}).ok());
  EXPECT_EQ(
      conv({IntAttr("group", 2)}, {Tensor::FromInt64s({1, 4, 3, 3}, std::vector<int64_t>(36, 1)), w}).code(),
      StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kinglet
