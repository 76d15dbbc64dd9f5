#include "kernels/reference/recurrent.h"

#include <algorithm>
#include <cmath>

namespace kinglet::kernels::reference {

int64_t RecurrentGateCount(RecurrentCell cell) {
  switch (cell) {
    case RecurrentCell::kRnn:
      return 1;
    case RecurrentCell::kGru:
      return 3;
    case RecurrentCell::kLstm:
      return 4;
  }
  return 1;
}

void MatMulTransposedB(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                       int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < m; ++i) {
    const float* a_row = a + i * lda;
    float* c_row = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) {
      const float* b_row = b + j * ldb;
      float sum = 0.0f;
      for (int64_t p = 0; p < k; ++p) sum += a_row[p] * b_row[p];
      c_row[j] = accumulate ? c_row[j] + sum : sum;
    }
  }
}

void ClipAndActivate(const RecurrentActivation& act, float clip, float* v, int64_t n) {
  const float a = act.alpha;
  const float b = act.beta;
  for (int64_t i = 0; i < n; ++i) {
    float x = std::min(std::max(v[i], -clip), clip);
    float y = x;
    switch (act.kind) {
      case RecurrentActivationKind::kSigmoid:
        y = 1.0f / (1.0f + std::exp(-x));
        break;
      case RecurrentActivationKind::kTanh:
        y = std::tanh(x);
        break;
      case RecurrentActivationKind::kRelu:
        y = std::max(x, 0.0f);
        break;
      case RecurrentActivationKind::kAffine:
        y = a * x + b;
        break;
      case RecurrentActivationKind::kLeakyRelu:
        y = x >= 0.0f ? x : a * x;
        break;
      case RecurrentActivationKind::kThresholdedRelu:
        y = x >= a ? x : 0.0f;
        break;
      case RecurrentActivationKind::kScaledTanh:
        y = a * std::tanh(b * x);
        break;
      case RecurrentActivationKind::kHardSigmoid:
        y = std::min(std::max(a * x + b, 0.0f), 1.0f);
        break;
      case RecurrentActivationKind::kElu:
        y = x >= 0.0f ? x : a * (std::exp(x) - 1.0f);
        break;
      case RecurrentActivationKind::kSoftsign:
        y = x / (1.0f + std::fabs(x));
        break;
      // log1p(e^x) overflows for large x, where it equals x to float precision anyway.
      case RecurrentActivationKind::kSoftplus:
        y = x > 20.0f ? x : std::log1p(std::exp(x));
        break;
    }
    v[i] = y;
  }
}

namespace {

// Float counts of the scratch regions; one direction at a time uses them.
struct ScratchLayout {
  int64_t xw = 0;       // [seq*batch, G*hidden]: X*W^T + folded biases, rows ordered as X's
  int64_t hr = 0;       // [batch, G*hidden]: H(t-1)*R^T, then the gate values in place
  int64_t h_state = 0;  // [batch, hidden]
  int64_t c_state = 0;  // [batch, hidden], LSTM
  int64_t reset_h = 0;  // [batch, hidden], GRU without linear_before_reset: r (.) H(t-1)

  int64_t total() const { return xw + hr + h_state + c_state + reset_h; }
};

ScratchLayout Layout(const RecurrentParams& p) {
  const int64_t gates = RecurrentGateCount(p.cell) * p.hidden_size;
  ScratchLayout s;
  s.xw = p.seq_length * p.batch * gates;
  s.hr = p.batch * gates;
  s.h_state = p.batch * p.hidden_size;
  if (p.cell == RecurrentCell::kLstm) s.c_state = p.batch * p.hidden_size;
  if (p.cell == RecurrentCell::kGru && !p.linear_before_reset) s.reset_h = p.batch * p.hidden_size;
  return s;
}

// Everything one direction's step loop needs, resolved once.
struct Direction {
  const RecurrentParams* params;
  const RecurrentMath* math;
  const RecurrentActivation* act;  // f, g, h
  const float* w;
  const float* r;
  const float* wb;  // nullptr when B is absent
  const float* rb;
  const float* p;  // peepholes i, o, f; nullptr when absent
  bool reverse;
  float* xw;
  float* hr;
  float* h_state;
  float* c_state;
  float* reset_h;
};

// Row of X (and of xw) holding time step t of batch entry b.
int64_t XRow(const RecurrentParams& p, int64_t t, int64_t b) {
  return p.batch_major ? b * p.seq_length + t : t * p.batch + b;
}

// Offset of (direction d, batch b) in initial_h/initial_c/Y_h/Y_c.
int64_t StateOffset(const RecurrentParams& p, int64_t d, int64_t b) {
  return (p.batch_major ? b * p.num_directions + d : d * p.batch + b) * p.hidden_size;
}

// Offset of (time t, direction d, batch b) in Y.
int64_t YOffset(const RecurrentParams& p, int64_t t, int64_t d, int64_t b) {
  int64_t index = p.batch_major ? (b * p.seq_length + t) * p.num_directions + d
                                : (t * p.num_directions + d) * p.batch + b;
  return index * p.hidden_size;
}

int64_t SequenceLength(const RecurrentParams& p, const RecurrentData& data, int64_t b) {
  return data.sequence_lens != nullptr ? data.sequence_lens[b] : p.seq_length;
}

// X*W^T for every step at once, plus every bias that does not depend on the step. GRU's Rbh
// stays out when linear_before_reset is set: it is added before r multiplies.
void ProjectInputs(const Direction& dir, const float* x) {
  const RecurrentParams& p = *dir.params;
  const int64_t hidden = p.hidden_size;
  const int64_t gates = RecurrentGateCount(p.cell) * hidden;
  const int64_t rows = p.seq_length * p.batch;
  dir.math->mat_mul_transposed_b(rows, gates, p.input_size, x, p.input_size, dir.w, p.input_size, dir.xw, gates,
                    /*accumulate=*/false);
  if (dir.wb == nullptr) return;
  const int64_t rb_folded = p.cell == RecurrentCell::kGru && p.linear_before_reset ? 2 * hidden : gates;
  for (int64_t row = 0; row < rows; ++row) {
    float* out = dir.xw + row * gates;
    for (int64_t j = 0; j < gates; ++j) out[j] += dir.wb[j] + (j < rb_folded ? dir.rb[j] : 0.0f);
  }
}

// Ht = f(Xt*W^T + Ht-1*R^T + Wb + Rb); `gates` holds the sum.
void RnnCell(const Direction& dir, float* gates, float* h) {
  const RecurrentParams& p = *dir.params;
  dir.math->clip_and_activate(dir.act[0], p.clip, gates, p.hidden_size);
  std::copy_n(gates, p.hidden_size, h);
}

// ONNX LSTM equations; `gates` holds the i, o, f, c pre-activations without peepholes.
void LstmCell(const Direction& dir, float* gates, float* h, float* c) {
  const RecurrentParams& p = *dir.params;
  const int64_t n = p.hidden_size;
  float* i_gate = gates;
  float* o_gate = gates + n;
  float* f_gate = gates + 2 * n;
  float* c_gate = gates + 3 * n;
  if (dir.p != nullptr) {
    for (int64_t j = 0; j < n; ++j) i_gate[j] += dir.p[j] * c[j];
  }
  dir.math->clip_and_activate(dir.act[0], p.clip, i_gate, n);
  if (p.input_forget) {
    for (int64_t j = 0; j < n; ++j) f_gate[j] = 1.0f - i_gate[j];
  } else {
    if (dir.p != nullptr) {
      for (int64_t j = 0; j < n; ++j) f_gate[j] += dir.p[2 * n + j] * c[j];
    }
    dir.math->clip_and_activate(dir.act[0], p.clip, f_gate, n);
  }
  dir.math->clip_and_activate(dir.act[1], p.clip, c_gate, n);
  for (int64_t j = 0; j < n; ++j) c[j] = f_gate[j] * c[j] + i_gate[j] * c_gate[j];
  // The output gate's peephole sees the new cell state Ct, not Ct-1.
  if (dir.p != nullptr) {
    for (int64_t j = 0; j < n; ++j) o_gate[j] += dir.p[n + j] * c[j];
  }
  dir.math->clip_and_activate(dir.act[0], p.clip, o_gate, n);
  // h(Ct) clips its input like every activation, but the stored Ct stays unclipped.
  std::copy_n(c, n, h);
  dir.math->clip_and_activate(dir.act[2], p.clip, h, n);
  for (int64_t j = 0; j < n; ++j) h[j] *= o_gate[j];
}

// GRU z and r gates; `gates` holds their pre-activations, overwritten by the gate values.
void GruUpdateAndResetGates(const Direction& dir, float* gates) {
  const RecurrentParams& p = *dir.params;
  dir.math->clip_and_activate(dir.act[0], p.clip, gates, 2 * p.hidden_size);
}

// GRU candidate and new state: h = g(pre-activation), Ht = (1 - z) h + z Ht-1.
void GruFinish(const Direction& dir, const float* xw, float* gates, float* h) {
  const RecurrentParams& p = *dir.params;
  const int64_t n = p.hidden_size;
  const float* z = gates;
  const float* r = gates + n;
  float* candidate = gates + 2 * n;
  if (p.linear_before_reset) {
    // g(Xt*Wh^T + Wbh + r (.) (Ht-1*Rh^T + Rbh)); xw holds Xt*Wh^T + Wbh.
    for (int64_t j = 0; j < n; ++j) {
      float recurrent = candidate[j] + (dir.rb != nullptr ? dir.rb[2 * n + j] : 0.0f);
      candidate[j] = xw[2 * n + j] + r[j] * recurrent;
    }
  } else {
    // g(Xt*Wh^T + (r (.) Ht-1)*Rh^T + Wbh + Rbh); the product was taken after r was known.
    for (int64_t j = 0; j < n; ++j) candidate[j] += xw[2 * n + j];
  }
  dir.math->clip_and_activate(dir.act[1], p.clip, candidate, n);
  for (int64_t j = 0; j < n; ++j) h[j] = (1.0f - z[j]) * candidate[j] + z[j] * h[j];
}

void RunDirection(const Direction& dir, const RecurrentData& data, int64_t d) {
  const RecurrentParams& p = *dir.params;
  const int64_t hidden = p.hidden_size;
  const int64_t gates = RecurrentGateCount(p.cell) * hidden;

  ProjectInputs(dir, data.x);
  for (int64_t b = 0; b < p.batch; ++b) {
    float* h = dir.h_state + b * hidden;
    float* c = dir.c_state + b * hidden;
    if (data.initial_h != nullptr) {
      std::copy_n(data.initial_h + StateOffset(p, d, b), hidden, h);
    } else {
      std::fill_n(h, hidden, 0.0f);
    }
    if (p.cell == RecurrentCell::kLstm) {
      if (data.initial_c != nullptr) {
        std::copy_n(data.initial_c + StateOffset(p, d, b), hidden, c);
      } else {
        std::fill_n(c, hidden, 0.0f);
      }
    }
  }

  int64_t max_length = 0;
  for (int64_t b = 0; b < p.batch; ++b) max_length = std::max(max_length, SequenceLength(p, data, b));

  // Step s advances every sequence still running. A reverse direction starts at each sequence's
  // own last valid step, so its time index differs per batch entry.
  const bool gru_reset_first = p.cell == RecurrentCell::kGru && !p.linear_before_reset;
  for (int64_t s = 0; s < max_length; ++s) {
    // GRU without linear_before_reset needs r before the candidate's recurrent product.
    const int64_t first_product = gru_reset_first ? 2 * hidden : gates;
    dir.math->mat_mul_transposed_b(p.batch, first_product, hidden, dir.h_state, hidden, dir.r, hidden, dir.hr, gates,
                      /*accumulate=*/false);
    for (int64_t b = 0; b < p.batch; ++b) {
      const int64_t length = SequenceLength(p, data, b);
      float* row = dir.hr + b * gates;
      float* h = dir.h_state + b * hidden;
      if (s >= length) {
        if (gru_reset_first) std::fill_n(dir.reset_h + b * hidden, hidden, 0.0f);
        continue;
      }
      const int64_t t = dir.reverse ? length - 1 - s : s;
      const float* xw = dir.xw + XRow(p, t, b) * gates;
      // GRU's candidate adds its input part in GruFinish, after r is known.
      const int64_t summed = p.cell == RecurrentCell::kGru ? 2 * hidden : gates;
      for (int64_t j = 0; j < summed; ++j) row[j] += xw[j];
      switch (p.cell) {
        case RecurrentCell::kRnn:
          RnnCell(dir, row, h);
          break;
        case RecurrentCell::kLstm:
          LstmCell(dir, row, h, dir.c_state + b * hidden);
          break;
        case RecurrentCell::kGru:
          GruUpdateAndResetGates(dir, row);
          if (gru_reset_first) {
            float* reset_h = dir.reset_h + b * hidden;
            for (int64_t j = 0; j < hidden; ++j) reset_h[j] = row[hidden + j] * h[j];
          } else {
            GruFinish(dir, xw, row, h);
          }
          break;
      }
    }
    if (gru_reset_first) {
      dir.math->mat_mul_transposed_b(p.batch, hidden, hidden, dir.reset_h, hidden, dir.r + 2 * hidden * hidden, hidden,
                        dir.hr + 2 * hidden, gates, /*accumulate=*/false);
      for (int64_t b = 0; b < p.batch; ++b) {
        const int64_t length = SequenceLength(p, data, b);
        if (s >= length) continue;
        const int64_t t = dir.reverse ? length - 1 - s : s;
        GruFinish(dir, dir.xw + XRow(p, t, b) * gates, dir.hr + b * gates, dir.h_state + b * hidden);
      }
    }
    if (data.y != nullptr) {
      for (int64_t b = 0; b < p.batch; ++b) {
        const int64_t length = SequenceLength(p, data, b);
        if (s >= length) continue;
        const int64_t t = dir.reverse ? length - 1 - s : s;
        std::copy_n(dir.h_state + b * hidden, hidden, data.y + YOffset(p, t, d, b));
      }
    }
  }

  for (int64_t b = 0; b < p.batch; ++b) {
    const bool empty = SequenceLength(p, data, b) == 0;
    if (data.y_h != nullptr) {
      float* out = data.y_h + StateOffset(p, d, b);
      if (empty) {
        std::fill_n(out, hidden, 0.0f);
      } else {
        std::copy_n(dir.h_state + b * hidden, hidden, out);
      }
    }
    if (data.y_c != nullptr && p.cell == RecurrentCell::kLstm) {
      float* out = data.y_c + StateOffset(p, d, b);
      if (empty) {
        std::fill_n(out, hidden, 0.0f);
      } else {
        std::copy_n(dir.c_state + b * hidden, hidden, out);
      }
    }
  }
}

}  // namespace

size_t RecurrentScratchBytes(const RecurrentParams& params) {
  return static_cast<size_t>(Layout(params).total()) * sizeof(float);
}

const RecurrentMath& ReferenceRecurrentMath() {
  static const RecurrentMath math{MatMulTransposedB, ClipAndActivate};
  return math;
}

void RunRecurrent(const RecurrentParams& params, const RecurrentData& data, void* scratch,
                  const RecurrentMath& math) {
  const ScratchLayout layout = Layout(params);
  float* base = static_cast<float*>(scratch);
  const int64_t hidden = params.hidden_size;
  const int64_t gates = RecurrentGateCount(params.cell) * hidden;

  // Steps past a sequence's end are never written; everything else is.
  if (data.y != nullptr && data.sequence_lens != nullptr) {
    std::fill_n(data.y, params.seq_length * params.num_directions * params.batch * hidden, 0.0f);
  }

  for (int64_t d = 0; d < params.num_directions; ++d) {
    Direction dir;
    dir.params = &params;
    dir.math = &math;
    dir.act = params.activations[d];
    dir.w = data.w + d * gates * params.input_size;
    dir.r = data.r + d * gates * hidden;
    dir.wb = data.b != nullptr ? data.b + d * 2 * gates : nullptr;
    dir.rb = data.b != nullptr ? dir.wb + gates : nullptr;
    dir.p = data.p != nullptr ? data.p + d * 3 * hidden : nullptr;
    dir.reverse = params.num_directions == 2 ? d == 1 : params.reverse;
    dir.xw = base;
    dir.hr = dir.xw + layout.xw;
    dir.h_state = dir.hr + layout.hr;
    dir.c_state = dir.h_state + layout.h_state;
    dir.reset_h = dir.c_state + layout.c_state;
    RunDirection(dir, data, d);
  }
}

}  // namespace kinglet::kernels::reference
