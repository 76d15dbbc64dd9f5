// Sparse weights for pruned fully connected layers (Gemm / MatMul with constant B): xqueeze's
// synapse pruning leaves 5-20% of a layer's weights, and at batch sizes of a few rows a dense
// GEMM spends its time streaming the zeros from memory. Here B [K x N] is kept by output
// column (CSC: for column j, the K indices and values of its nonzeros), and each output is a
// dot product over the nonzeros only, gathering A's entries, which stay in L1.
//
// Zeros are skipped, so a row of A holding a NaN or an infinity (where 0 * x is not 0) is
// computed against the dense B instead, and the result keeps the dense product's NaN. Sums run
// in a different order from the dense GEMM, so results agree to rounding, not bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/reference/fused_activation.h"
#include "kernels/sgemm.h"

namespace kinglet::runtime {
class ThreadPool;
}

namespace kinglet::kernels {

// The most rows of A the sparse path takes (each nonzero is applied to every row at once).
constexpr int64_t kSparseGemmMaxRows = 8;
// Above this fraction of nonzeros the dense, register-blocked GEMM is faster. gemm_bench's
// sparse rows (LeNet-300-100's first layer, batch 1, AVX2) break even near a fifth against the
// dense one-row tile (0.55x at 10%, 1.02-1.05x at 20%); 15% leaves a margin for cores with
// slower gathers.
constexpr double kSparseGemmMaxDensity = 0.15;

struct SparseColumns {
  std::vector<uint32_t> start;  // N + 1 offsets into index / values
  std::vector<uint32_t> index;  // row of B (0..K-1) of each nonzero
  std::vector<float> values;
  int64_t k = 0;
  int64_t n = 0;
};

// Fraction of entries of b [k x n] that are not zero (+0 and -0 count as zero).
double Density(int64_t k, int64_t n, MatrixView b);

// b [k x n] by column, zeros dropped. k * n must be below 2^32 (32-bit indices and offsets).
SparseColumns CompressSparseB(int64_t k, int64_t n, MatrixView b);

struct SparseGemmProblem {
  int64_t m = 0;  // at most kSparseGemmMaxRows
  const float* a = nullptr;  // [m x k], row stride lda
  int64_t lda = 0;
  const SparseColumns* b = nullptr;
  MatrixView dense_b;  // the same B, dense, for rows of A that are not all finite
  float* c = nullptr;  // [m x n], row stride ldc
  int64_t ldc = 0;
  const float* col_bias = nullptr;  // [n] or null
  reference::FusedActivationParams activation;
};

// C = A * B (+ col_bias), then the activation; columns are split across `pool` (null: the
// calling thread). Needs no scratch.
void SparseGemmRun(const SparseGemmProblem& problem, runtime::ThreadPool* pool);

// ---- Sparse A: pruned convolution weights W [M x K] times a dense im2col matrix [K x N].

// W by row (CSR): row m's nonzeros are index/values[start[m] .. start[m + 1]).
struct SparseRows {
  std::vector<uint32_t> start;  // M + 1 offsets
  std::vector<uint32_t> index;  // column of W (0..K-1) of each nonzero
  std::vector<float> values;
  int64_t m = 0;
  int64_t k = 0;
};

// a [m x k] by row, zeros dropped. m * k must be below 2^32 (32-bit indices and offsets).
SparseRows CompressSparseA(int64_t m, int64_t k, MatrixView a);

struct SparseRowsProblem {
  const SparseRows* a = nullptr;
  const float* b = nullptr;  // [k x n], row stride ldb
  int64_t ldb = 0;
  int64_t n = 0;
  float* c = nullptr;  // [m x n], row stride ldc
  int64_t ldc = 0;
  const float* row_bias = nullptr;  // [m] or null
  reference::FusedActivationParams activation;
};

// C = A * B (+ row_bias), then the activation: each row of C starts at its bias and adds
// value * (row `index` of B) for each nonzero, a vector multiply-add along N. Rows of C are split
// across `pool`. Zeros are skipped, so the caller must route a B holding NaN or infinity to a
// dense kernel (where 0 * x is not 0).
void SparseRowsGemmRun(const SparseRowsProblem& problem, runtime::ThreadPool* pool);

}  // namespace kinglet::kernels
