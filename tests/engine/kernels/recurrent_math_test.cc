// The vectorised recurrent arithmetic against libm and the reference driver: sigmoid and tanh
// over the whole float range that matters (tiny, around the polynomial switch, saturated), NaN
// passing through, and whole LSTM/GRU runs with the fast math against the reference math.
#include "kernels/recurrent_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace kinglet::kernels {
namespace {

std::vector<float> Probes() {
  std::vector<float> x = {0.0f, -0.0f, 1e-30f, -1e-20f, 1e-7f, 0.3f, 0.6249f, 0.625f, -0.6251f, 1.0f, 5.0f,
                          -9.5f, 20.0f, -40.0f, 87.0f, -87.0f, 88.5f, 100.0f, -100.0f, 1e30f, -1e30f};
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> wide(-30.0f, 30.0f);
  for (int i = 0; i < 20000; ++i) x.push_back(wide(rng));
  return x;
}

TEST(RecurrentMathTest, SigmoidAndTanhMatchLibm) {
  const std::vector<float> x = Probes();
  std::vector<float> s(x.size()), t(x.size());
  SigmoidFast(x.data(), s.data(), static_cast<int64_t>(x.size()));
  TanhFast(x.data(), t.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const double want_s = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    const double want_t = std::tanh(static_cast<double>(x[i]));
    EXPECT_NEAR(s[i], want_s, 1e-6 * std::fabs(want_s) + 1e-30) << "sigmoid(" << x[i] << ")";
    EXPECT_NEAR(t[i], want_t, 1e-6 * std::fabs(want_t) + 1e-30) << "tanh(" << x[i] << ")";
  }
}

TEST(RecurrentMathTest, NanStaysNan) {
  const float nan = std::nanf("");
  float s = 0.0f, t = 0.0f;
  SigmoidFast(&nan, &s, 1);
  TanhFast(&nan, &t, 1);
  EXPECT_TRUE(std::isnan(s));
  EXPECT_TRUE(std::isnan(t));
}

TEST(RecurrentMathTest, WholeLstmAndGruRunsMatchTheReferenceMath) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  for (reference::RecurrentCell cell : {reference::RecurrentCell::kLstm, reference::RecurrentCell::kGru}) {
    for (int directions = 1; directions <= 2; ++directions) {
      reference::RecurrentParams p;
      p.cell = cell;
      p.seq_length = 7;
      p.batch = 3;
      p.input_size = 13;
      p.hidden_size = 19;
      p.num_directions = directions;
      for (auto& direction : p.activations) {
        direction[0].kind = reference::RecurrentActivationKind::kSigmoid;
        direction[1].kind = reference::RecurrentActivationKind::kTanh;
        direction[2].kind = reference::RecurrentActivationKind::kTanh;
      }
      const int64_t gates = reference::RecurrentGateCount(cell) * p.hidden_size;
      std::vector<float> x(p.seq_length * p.batch * p.input_size), w(directions * gates * p.input_size),
          r(directions * gates * p.hidden_size), b(directions * 2 * gates);
      for (auto* v : {&x, &w, &r, &b}) {
        for (float& f : *v) f = value(rng);
      }
      const size_t y_count = p.seq_length * directions * p.batch * p.hidden_size;
      std::vector<float> y_ref(y_count), y_fast(y_count);
      std::vector<unsigned char> scratch(reference::RecurrentScratchBytes(p));
      reference::RecurrentData data;
      data.x = x.data();
      data.w = w.data();
      data.r = r.data();
      data.b = b.data();
      data.y = y_ref.data();
      reference::RunRecurrent(p, data, scratch.data());
      data.y = y_fast.data();
      reference::RunRecurrent(p, data, scratch.data(), FastRecurrentMath());
      for (size_t i = 0; i < y_count; ++i) {
        ASSERT_NEAR(y_fast[i], y_ref[i], 2e-6f) << (cell == reference::RecurrentCell::kLstm ? "LSTM" : "GRU")
                                                << " directions " << directions << " at " << i;
      }
    }
  }
}

}  // namespace
}  // namespace kinglet::kernels
