// Portable float32 kernels for the ONNX recurrent ops LSTM, GRU and RNN.
//
// One driver runs every cell type. Per direction it computes X*W^T for all time steps as one
// matrix product (with the biases folded in), then walks the steps: H(t-1)*R^T as a second
// product, followed by the cell's element-wise gate math. A SIMD variant replaces the two
// products and the gate math; the driver and the state bookkeeping stay the same.
//
// Shapes follow ONNX (G = gate count: RNN 1, GRU 3, LSTM 4; D = number of directions):
//   X [seq, batch, input]          (batch_major: [batch, seq, input])
//   W [D, G*hidden, input]   R [D, G*hidden, hidden]   B [D, 2*G*hidden] (Wb then Rb)
//   sequence_lens [batch]          values in [0, seq], checked by the caller
//   initial_h, initial_c, Y_h, Y_c [D, batch, hidden]   (batch_major: [batch, D, hidden])
//   P [D, 3*hidden] (LSTM peepholes, order i, o, f)
//   Y [seq, D, batch, hidden]      (batch_major: [batch, seq, D, hidden])
// Gate order is ONNX's: LSTM i, o, f, c; GRU z, r, h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace kinglet::kernels::reference {

enum class RecurrentCell : uint8_t { kRnn, kGru, kLstm };

// Gates per direction: RNN 1, GRU 3, LSTM 4.
int64_t RecurrentGateCount(RecurrentCell cell);

// The activation functions ONNX allows in recurrent ops; alpha/beta as in the ONNX spec.
enum class RecurrentActivationKind : uint8_t {
  kSigmoid,
  kTanh,
  kRelu,
  kAffine,           // alpha*x + beta
  kLeakyRelu,        // x >= 0 ? x : alpha*x
  kThresholdedRelu,  // x >= alpha ? x : 0
  kScaledTanh,       // alpha*tanh(beta*x)
  kHardSigmoid,      // min(max(alpha*x + beta, 0), 1)
  kElu,              // x >= 0 ? x : alpha*(e^x - 1)
  kSoftsign,         // x/(1 + |x|)
  kSoftplus,         // log(1 + e^x)
};

struct RecurrentActivation {
  RecurrentActivationKind kind = RecurrentActivationKind::kSigmoid;
  float alpha = 0.0f;
  float beta = 0.0f;
};

struct RecurrentParams {
  RecurrentCell cell = RecurrentCell::kLstm;
  int64_t seq_length = 0;
  int64_t batch = 0;
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int64_t num_directions = 1;  // 1 or 2; with 2, direction 0 is forward and 1 is reverse
  bool reverse = false;        // with num_directions == 1: the only direction runs backwards
  bool batch_major = false;    // ONNX layout = 1
  // Bounds every activation's input to [-clip, clip]; infinity means no clipping.
  float clip = std::numeric_limits<float>::infinity();
  bool input_forget = false;         // LSTM: f = 1 - i
  bool linear_before_reset = false;  // GRU: r multiplies (H*Rh^T + Rbh), not H
  // Per direction: f, g, h as ONNX names them. RNN uses [0]; GRU [0..1]; LSTM [0..2].
  RecurrentActivation activations[2][3];
};

// Tensor memory for one call. Optional inputs and unwanted outputs are nullptr.
struct RecurrentData {
  const float* x = nullptr;
  const float* w = nullptr;
  const float* r = nullptr;
  const float* b = nullptr;                // absent: all biases zero
  const int32_t* sequence_lens = nullptr;  // absent: every sequence has seq_length steps
  const float* initial_h = nullptr;        // absent: zeros
  const float* initial_c = nullptr;        // LSTM; absent: zeros
  const float* p = nullptr;                // LSTM; absent: no peepholes
  float* y = nullptr;
  float* y_h = nullptr;
  float* y_c = nullptr;  // LSTM
};

// The two pieces of arithmetic a fast variant replaces (the products and the gate activations);
// the driver and the state bookkeeping stay the same. ReferenceRecurrentMath() is the functions
// below; kernels/recurrent_math.h has the vectorised ones.
struct RecurrentMath {
  void (*mat_mul_transposed_b)(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                               int64_t ldb, float* c, int64_t ldc, bool accumulate);
  void (*clip_and_activate)(const RecurrentActivation& act, float clip, float* v, int64_t n);
};
const RecurrentMath& ReferenceRecurrentMath();

// Scratch the kernel needs, in bytes.
size_t RecurrentScratchBytes(const RecurrentParams& params);

// Runs the op. `scratch` holds RecurrentScratchBytes(params) bytes, float-aligned.
// Steps at or past a sequence's length produce zeros in Y. Y_h and Y_c hold the state after
// each sequence's last valid step, or zeros for a sequence of length 0 (as onnxruntime does).
void RunRecurrent(const RecurrentParams& params, const RecurrentData& data, void* scratch,
                  const RecurrentMath& math = ReferenceRecurrentMath());

// c[m, n] = a[m, k] * b[n, k]^T, plus c's previous contents if `accumulate`. Row strides in
// elements. Local on purpose: the reference must not depend on the optimized GEMM it checks.
void MatMulTransposedB(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                       int64_t ldb, float* c, int64_t ldc, bool accumulate);

// v[i] = activation(clamp(v[i], -clip, clip)) for i in [0, n).
void ClipAndActivate(const RecurrentActivation& act, float clip, float* v, int64_t n);

}  // namespace kinglet::kernels::reference
