// Test-only: a naive, independent implementation of ONNX LSTM/GRU/RNN (double precision, one
// sequence and one unit at a time, straight from the spec's equations), plus a runner that
// feeds the same random case to the engine op in layout 0 or 1 and compares.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "op_harness.h"

namespace kinglet::testing {

struct NaiveActivation {
  std::string name;
  float alpha = 0.0f;
  float beta = 0.0f;
};

struct RecurrentCase {
  explicit RecurrentCase(std::string op_type, int64_t seq_length = 3, int64_t batch_size = 2,
                         int64_t input_size = 3, int64_t hidden_size = 4)
      : op(std::move(op_type)), seq(seq_length), batch(batch_size), input(input_size), hidden(hidden_size) {}

  std::string op;  // "LSTM", "GRU" or "RNN"
  int64_t seq, batch, input, hidden;
  std::string direction = "forward";
  bool bias = false, initial = false, peepholes = false;
  std::vector<int32_t> lens;  // empty: sequence_lens absent
  float clip = 0.0f;          // 0: no clip attribute
  bool input_forget = false, linear_before_reset = false;
  std::vector<NaiveActivation> activations;  // empty: ONNX defaults, no attribute
  unsigned seed = 1;
};

inline int64_t Gates(const std::string& op) { return op == "LSTM" ? 4 : op == "GRU" ? 3 : 1; }
inline int64_t Dirs(const RecurrentCase& c) { return c.direction == "bidirectional" ? 2 : 1; }

inline double NaiveAct(const NaiveActivation& a, double x) {
  if (a.name == "Sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (a.name == "Tanh") return std::tanh(x);
  if (a.name == "Relu") return x > 0 ? x : 0;
  if (a.name == "LeakyRelu") return x >= 0 ? x : a.alpha * x;
  if (a.name == "HardSigmoid") return std::min(1.0, std::max(0.0, a.alpha * x + a.beta));
  if (a.name == "Affine") return a.alpha * x + a.beta;
  ADD_FAILURE() << "naive reference lacks " << a.name;
  return 0;
}

struct RecurrentInputs {
  std::vector<float> x, w, r, b, h0, c0, p;  // layout 0
};

inline RecurrentInputs RandomInputs(const RecurrentCase& c) {
  std::mt19937 rng(c.seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto fill = [&](int64_t n) {
    std::vector<float> v(n);
    for (float& f : v) f = dist(rng);
    return v;
  };
  const int64_t d = Dirs(c), g = Gates(c.op) * c.hidden;
  RecurrentInputs in;
  in.x = fill(c.seq * c.batch * c.input);
  in.w = fill(d * g * c.input);
  in.r = fill(d * g * c.hidden);
  if (c.bias) in.b = fill(d * 2 * g);
  if (c.initial) in.h0 = fill(d * c.batch * c.hidden);
  if (c.initial && c.op == "LSTM") in.c0 = fill(d * c.batch * c.hidden);
  if (c.peepholes) in.p = fill(d * 3 * c.hidden);
  return in;
}

struct RecurrentOutputs {
  std::vector<float> y, y_h, y_c;  // layout 0
};

inline RecurrentOutputs NaiveRecurrent(const RecurrentCase& c, const RecurrentInputs& in) {
  const int64_t D = Dirs(c), G = Gates(c.op), H = c.hidden, I = c.input, B = c.batch;
  RecurrentOutputs out;
  out.y.assign(c.seq * D * B * H, 0.0f);
  out.y_h.assign(D * B * H, 0.0f);
  out.y_c.assign(D * B * H, 0.0f);
  std::vector<NaiveActivation> acts = c.activations;
  if (acts.empty()) {
    if (c.op == "LSTM") acts = {{"Sigmoid"}, {"Tanh"}, {"Tanh"}};
    if (c.op == "GRU") acts = {{"Sigmoid"}, {"Tanh"}};
    if (c.op == "RNN") acts = {{"Tanh"}};
  }
  const size_t per_dir = static_cast<size_t>(G == 4 ? 3 : G == 3 ? 2 : 1);
  for (int64_t d = 0; d < D; ++d) {
    const bool reverse = c.direction == "reverse" || d == 1;
    const NaiveActivation* act = &acts[acts.size() > per_dir ? d * per_dir : 0];
    auto clip = [&](double v) {
      return c.clip > 0 ? std::min<double>(c.clip, std::max<double>(-c.clip, v)) : v;
    };
    auto f = [&](double v) { return NaiveAct(act[0], clip(v)); };
    auto g = [&](double v) { return NaiveAct(act[1], clip(v)); };
    auto h_act = [&](double v) { return NaiveAct(act[2], clip(v)); };
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = c.lens.empty() ? c.seq : c.lens[b];
      std::vector<double> h(H, 0.0), cell(H, 0.0);
      for (int64_t j = 0; j < H; ++j) {
        if (!in.h0.empty()) h[j] = in.h0[(d * B + b) * H + j];
        if (!in.c0.empty()) cell[j] = in.c0[(d * B + b) * H + j];
      }
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        const float* x = &in.x[(t * B + b) * I];
        // Row `row` of W applied to x, of R applied to `state`, and the two biases.
        auto wx = [&](int64_t row) {
          double sum = 0;
          for (int64_t i = 0; i < I; ++i) sum += in.w[(d * G * H + row) * I + i] * x[i];
          return sum + (in.b.empty() ? 0.0 : in.b[d * 2 * G * H + row]);
        };
        auto rh = [&](int64_t row, const std::vector<double>& state) {
          double sum = 0;
          for (int64_t i = 0; i < H; ++i) sum += in.r[(d * G * H + row) * H + i] * state[i];
          return sum + (in.b.empty() ? 0.0 : in.b[d * 2 * G * H + G * H + row]);
        };
        auto peep = [&](int64_t k, int64_t j) { return in.p.empty() ? 0.0 : in.p[d * 3 * H + k * H + j]; };
        std::vector<double> next(H);
        if (c.op == "RNN") {
          for (int64_t j = 0; j < H; ++j) next[j] = f(wx(j) + rh(j, h));
        } else if (c.op == "GRU") {
          std::vector<double> z(H), r(H), rstate(H);
          for (int64_t j = 0; j < H; ++j) {
            z[j] = f(wx(j) + rh(j, h));
            r[j] = f(wx(H + j) + rh(H + j, h));
            rstate[j] = r[j] * h[j];
          }
          for (int64_t j = 0; j < H; ++j) {
            double cand = c.linear_before_reset ? g(wx(2 * H + j) + r[j] * rh(2 * H + j, h))
                                                : g(wx(2 * H + j) + rh(2 * H + j, rstate));
            next[j] = (1 - z[j]) * cand + z[j] * h[j];
          }
        } else {  // LSTM, gates i o f c
          std::vector<double> new_cell(H);
          for (int64_t j = 0; j < H; ++j) {
            double i_g = f(wx(j) + rh(j, h) + peep(0, j) * cell[j]);
            double f_g =
                c.input_forget ? 1 - i_g : f(wx(2 * H + j) + rh(2 * H + j, h) + peep(2, j) * cell[j]);
            double c_g = g(wx(3 * H + j) + rh(3 * H + j, h));
            new_cell[j] = f_g * cell[j] + i_g * c_g;
            double o_g = f(wx(H + j) + rh(H + j, h) + peep(1, j) * new_cell[j]);
            next[j] = o_g * h_act(new_cell[j]);
          }
          cell = new_cell;
        }
        h = next;
        for (int64_t j = 0; j < H; ++j) out.y[((t * D + d) * B + b) * H + j] = static_cast<float>(h[j]);
      }
      for (int64_t j = 0; j < H && len > 0; ++j) {
        out.y_h[(d * B + b) * H + j] = static_cast<float>(h[j]);
        out.y_c[(d * B + b) * H + j] = static_cast<float>(cell[j]);
      }
    }
  }
  return out;
}

// Swaps the first two dims of a row-major tensor of shape [d0, d1, rest...].
inline std::vector<float> SwapLeadingDims(const std::vector<float>& v, int64_t d0, int64_t d1) {
  if (v.empty()) return v;
  const int64_t rest = static_cast<int64_t>(v.size()) / (d0 * d1);
  std::vector<float> out(v.size());
  for (int64_t i = 0; i < d0; ++i)
    for (int64_t j = 0; j < d1; ++j) std::copy_n(&v[(i * d1 + j) * rest], rest, &out[(j * d0 + i) * rest]);
  return out;
}

inline Tensor Floats(Shape shape, const std::vector<float>& v) {
  return v.empty() ? Tensor() : Tensor::FromFloats(std::move(shape), v);
}

inline ir::Attributes CaseAttrs(const RecurrentCase& c, int64_t layout) {
  std::vector<ir::Attribute> list = {IntAttr("hidden_size", c.hidden), StringAttr("direction", c.direction)};
  if (layout != 0) list.push_back(IntAttr("layout", layout));
  if (c.clip > 0) list.push_back(FloatAttr("clip", c.clip));
  if (c.input_forget) list.push_back(IntAttr("input_forget", 1));
  if (c.linear_before_reset) list.push_back(IntAttr("linear_before_reset", 1));
  if (!c.activations.empty()) {
    ir::Attribute names;
    names.name = "activations";
    names.kind = ir::Attribute::Kind::kStrings;
    std::vector<float> alphas, betas;
    for (const auto& a : c.activations) {
      names.strings.push_back(a.name);
      if (a.name == "LeakyRelu" || a.name == "HardSigmoid" || a.name == "Affine") alphas.push_back(a.alpha);
      if (a.name == "HardSigmoid" || a.name == "Affine") betas.push_back(a.beta);
    }
    list.push_back(names);
    if (!alphas.empty()) list.push_back(FloatsAttr("activation_alpha", alphas));
    if (!betas.empty()) list.push_back(FloatsAttr("activation_beta", betas));
  }
  return Attrs(list);
}

// The engine inputs for `c` in the given layout (sequence_lens as int32).
inline std::vector<Tensor> CaseTensors(const RecurrentCase& c, const RecurrentInputs& in, int64_t layout) {
  const int64_t D = Dirs(c), G = Gates(c.op) * c.hidden;
  const bool bm = layout == 1;
  std::vector<Tensor> t = {bm ? Floats({c.batch, c.seq, c.input}, SwapLeadingDims(in.x, c.seq, c.batch))
                              : Floats({c.seq, c.batch, c.input}, in.x),
                           Floats({D, G, c.input}, in.w), Floats({D, G, c.hidden}, in.r),
                           Floats({D, 2 * G}, in.b)};
  Tensor lens;
  if (!c.lens.empty()) {
    lens = Tensor(DataType::kInt32, {c.batch});
    std::copy(c.lens.begin(), c.lens.end(), lens.data<int32_t>());
  }
  t.push_back(lens);
  auto state = [&](const std::vector<float>& v) {
    return bm ? Floats({c.batch, D, c.hidden}, SwapLeadingDims(v, D, c.batch))
              : Floats({D, c.batch, c.hidden}, v);
  };
  t.push_back(state(in.h0));
  if (c.op == "LSTM") {
    t.push_back(state(in.c0));
    t.push_back(Floats({D, 3 * c.hidden}, in.p));
  }
  while (!t.empty() && t.back().dtype() == DataType::kUndefined) t.pop_back();
  return t;
}

inline void ExpectNear(const std::vector<float>& want, const Tensor& got, const char* what) {
  ASSERT_EQ(static_cast<int64_t>(want.size()), got.element_count()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(want[i], got.data<float>()[i], 1e-5f) << what << " at " << i;
  }
}

// Runs `c` through the engine op in `layout` and compares every output with the reference.
inline void CheckAgainstReference(const RecurrentCase& c, int64_t layout = 0) {
  SCOPED_TRACE(c.op + " " + c.direction + " layout " + std::to_string(layout));
  const RecurrentInputs in = RandomInputs(c);
  const RecurrentOutputs want = NaiveRecurrent(c, in);
  const size_t num_outputs = c.op == "LSTM" ? 3 : 2;
  auto got = RunOp(c.op, CaseAttrs(c, layout), CaseTensors(c, in, layout), num_outputs, layout ? 14 : 13);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const int64_t D = Dirs(c);
  if (layout == 0) {
    EXPECT_EQ(got->at(0).shape(), (Shape{c.seq, D, c.batch, c.hidden}));
    EXPECT_EQ(got->at(1).shape(), (Shape{D, c.batch, c.hidden}));
    ExpectNear(want.y, got->at(0), "Y");
    ExpectNear(want.y_h, got->at(1), "Y_h");
    if (c.op == "LSTM") ExpectNear(want.y_c, got->at(2), "Y_c");
  } else {
    EXPECT_EQ(got->at(0).shape(), (Shape{c.batch, c.seq, D, c.hidden}));
    EXPECT_EQ(got->at(1).shape(), (Shape{c.batch, D, c.hidden}));
    // [seq, D, batch, H] -> [batch, seq, D, H]: move batch to the front, one step at a time.
    std::vector<float> y(want.y.size());
    for (int64_t t = 0; t < c.seq; ++t)
      for (int64_t d = 0; d < D; ++d)
        for (int64_t b = 0; b < c.batch; ++b)
          std::copy_n(&want.y[((t * D + d) * c.batch + b) * c.hidden], c.hidden,
                      &y[((b * c.seq + t) * D + d) * c.hidden]);
    ExpectNear(y, got->at(0), "Y");
    ExpectNear(SwapLeadingDims(want.y_h, D, c.batch), got->at(1), "Y_h");
    if (c.op == "LSTM") ExpectNear(SwapLeadingDims(want.y_c, D, c.batch), got->at(2), "Y_c");
  }
}

// Runs `c` expecting failure; returns the status.
inline Status RunCaseStatus(const RecurrentCase& c, const ir::Attributes& attrs, std::vector<Tensor> inputs,
                            size_t num_outputs = 2, int64_t opset = 13) {
  auto got = RunOp(c.op, attrs, inputs, num_outputs, opset);
  return got.ok() ? Status::Ok() : got.status();
}

}  // namespace kinglet::testing
