#include <gtest/gtest.h>

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

// The definition as a scatter: every input element adds x * w to the outputs its kernel covers.
std::vector<float> DirectConvTranspose(const Tensor& x, const Tensor& w, const Tensor* b, int64_t group,
                                       const std::vector<int64_t>& strides,
                                       const std::vector<int64_t>& dilations,
                                       const std::vector<int64_t>& pads_begin, const Shape& out) {
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  const size_t rank = xs.size() - 2;
  const int64_t c_in = xs[1], cg = c_in / group, mg = ws[1], m_out = mg * group;
  int64_t in_size = 1, out_size = 1, k_size = 1;
  for (size_t d = 0; d < rank; ++d) in_size *= xs[2 + d], out_size *= out[d], k_size *= ws[2 + d];
  std::vector<double> y(xs[0] * m_out * out_size, 0.0);
  for (int64_t n = 0; n < xs[0]; ++n) {
    for (int64_t c = 0; c < c_in; ++c) {
      for (int64_t j = 0; j < in_size; ++j) {
        for (int64_t m = 0; m < mg; ++m) {
          for (int64_t kk = 0; kk < k_size; ++kk) {
            int64_t out_off = 0, rest_i = j, rest_k = kk, stride = 1;
            bool inside = true;
            for (size_t d = rank; d-- > 0;) {
              const int64_t i = rest_i % xs[2 + d], k = rest_k % ws[2 + d];
              rest_i /= xs[2 + d], rest_k /= ws[2 + d];
              const int64_t o = i * strides[d] - pads_begin[d] + k * dilations[d];
              inside = inside && o >= 0 && o < out[d];
              out_off += o * stride;
              stride *= out[d];
            }
            if (!inside) continue;
            const int64_t mo = (c / cg) * mg + m;
            y[(n * m_out + mo) * out_size + out_off] +=
                double(x.data<float>()[(n * c_in + c) * in_size + j]) *
                w.data<float>()[(c * mg + m) * k_size + kk];
          }
        }
      }
    }
  }
  std::vector<float> result(y.size());
  for (size_t i = 0; i < y.size(); ++i)
    result[i] = float(y[i] + (b ? b->data<float>()[(i / out_size) % m_out] : 0));
  return result;
}

TEST(ConvTransposeTest, MatchesScatterLoopOnRandomShapes) {
  std::mt19937 rng(11);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 30; ++trial) {
    const size_t rank = 1 + trial % 3;
    const int64_t group = pick(1, 3), cg = pick(1, 2), mg = pick(1, 3);
    Shape xs = {pick(1, 2), cg * group}, ws = {cg * group, mg};
    std::vector<int64_t> strides, dilations, pads_begin, pads_end, output_padding;
    Shape out;
    for (size_t d = 0; d < rank; ++d) {
      xs.push_back(pick(1, 4));
      ws.push_back(pick(1, 3));
      strides.push_back(pick(1, 3));
      dilations.push_back(pick(1, 2));
      output_padding.push_back(pick(0, std::max(strides[d], dilations[d]) - 1));
      const int64_t full =
          strides[d] * (xs[2 + d] - 1) + output_padding[d] + (ws[2 + d] - 1) * dilations[d] + 1;
      pads_begin.push_back(pick(0, std::min<int64_t>(1, full - 1)));  // keep the output non-empty
      pads_end.push_back(pick(0, std::min<int64_t>(1, full - 1 - pads_begin[d])));
      out.push_back(full - pads_begin[d] - pads_end[d]);
    }
    const Tensor x = RandomTensor(xs, rng), w = RandomTensor(ws, rng), b = RandomTensor({mg * group}, rng);
    std::vector<int64_t> pads = pads_begin;
    pads.insert(pads.end(), pads_end.begin(), pads_end.end());
    auto r =
        RunOp("ConvTranspose",
              Attrs({IntAttr("group", group), IntsAttr("strides", strides), IntsAttr("dilations", dilations),
                     IntsAttr("pads", pads), IntsAttr("output_padding", output_padding)}),
              {x, w, b}, 1);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Shape expected_shape = {xs[0], mg * group};
    expected_shape.insert(expected_shape.end(), out.begin(), out.end());
    ASSERT_EQ((*r)[0].shape(), expected_shape) << "trial " << trial;
    const auto expected = DirectConvTranspose(x, w, &b, group, strides, dilations, pads_begin, out);
    const auto got = Values((*r)[0]);
    for (size_t i = 0; i < expected.size(); ++i) ASSERT_NEAR(got[i], expected[i], 1e-4) << "trial " << trial;
  }
}

TEST(ConvTransposeTest, OutputShapeAndAutoPadChooseThePads) {
  // 1-D, stride 2, kernel [1, 10]: the full result of x = [1, 2, 3] is [1, 10, 2, 20, 3, 30].
  const Tensor x = Tensor::FromFloats({1, 1, 3}, {1, 2, 3});
  const Tensor w = Tensor::FromFloats({1, 1, 2}, {1, 10});
  auto run = [&](std::vector<ir::Attribute> attrs) {
    attrs.push_back(IntsAttr("strides", {2}));
    auto r = RunOp("ConvTranspose", Attrs(std::move(attrs)), {x, w}, 1);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Values((*r)[0]) : std::vector<float>{};
  };
  EXPECT_EQ(run({}), (std::vector<float>{1, 10, 2, 20, 3, 30}));
  EXPECT_EQ(run({IntsAttr("pads", {1, 0})}), (std::vector<float>{10, 2, 20, 3, 30}));
  // Shorter than full: the spare goes at the beginning (NOTSET) or the end (SAME_UPPER).
  EXPECT_EQ(run({IntsAttr("output_shape", {5})}), (std::vector<float>{10, 2, 20, 3, 30}));
  EXPECT_EQ(run({IntsAttr("output_shape", {1, 1, 5})}), (std::vector<float>{10, 2, 20, 3, 30}));
  EXPECT_EQ(run({StringAttr("auto_pad", "SAME_UPPER"), IntsAttr("output_padding", {1})}),
            (std::vector<float>{1, 10, 2, 20, 3, 30}));
  // Longer than full: zeros at the end.
  EXPECT_EQ(run({IntsAttr("output_shape", {7})}), (std::vector<float>{1, 10, 2, 20, 3, 30, 0}));
}

TEST(ConvTransposeTest, RejectsInconsistentInputs) {
  const Tensor x = Tensor::FromFloats({1, 2, 3}, std::vector<float>(6, 1));
  const Tensor w = Tensor::FromFloats({2, 1, 2}, std::vector<float>(4, 1));
  EXPECT_TRUE(RunOp("ConvTranspose", Attrs({}), {x, w}, 1).ok());
  EXPECT_FALSE(RunOp("ConvTranspose", Attrs({IntAttr("group", 3)}), {x, w}, 1).ok());
  EXPECT_FALSE(
      RunOp("ConvTranspose", Attrs({}), {x, Tensor::FromFloats({3, 1, 2}, std::vector<float>(6, 1))}, 1)
          .ok());
  EXPECT_FALSE(RunOp("ConvTranspose", Attrs({}), {x, w, Tensor::FromFloats({2}, {1, 2})}, 1).ok());
  EXPECT_FALSE(RunOp("ConvTranspose", Attrs({IntsAttr("pads", {3, 2})}), {x, w}, 1).ok());  // empty output
  EXPECT_FALSE(RunOp("ConvTranspose", Attrs({IntsAttr("output_shape", {4, 4})}), {x, w}, 1).ok());
  EXPECT_FALSE(RunOp("ConvTranspose", Attrs({IntsAttr("output_padding", {1, 1})}), {x, w}, 1).ok());
}

}  // namespace
}  // namespace kinglet
