#include "kernels/sparse_gemm.h"

#include <algorithm>

#include "kernels/all_finite.h"
#include "kernels/fused_activation_inline.h"
#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

// Columns per task: enough nonzeros that waking a thread pays off.
constexpr int64_t kMinTaskNonzeros = 16 * 1024;

// The nonzeros of `lines` lines of `length` values each, element i of line j at
// data[j * line_stride + i * step], appended line by line: CSR of a matrix's rows or CSC of its
// columns, depending on the strides.
void CompressLines(const float* data, int64_t lines, int64_t length, int64_t line_stride, int64_t step,
                   std::vector<uint32_t>* start, std::vector<uint32_t>* index, std::vector<float>* values) {
  start->reserve(static_cast<size_t>(lines) + 1);
  start->push_back(0);
  for (int64_t j = 0; j < lines; ++j) {
    for (int64_t i = 0; i < length; ++i) {
      const float v = data[j * line_stride + i * step];
      if (v == 0.0f) continue;
      index->push_back(static_cast<uint32_t>(i));
      values->push_back(v);
    }
    start->push_back(static_cast<uint32_t>(values->size()));
  }
}

// Columns [j0, j1) of every row of C from the nonzeros; rows flagged in `dense_rows` instead
// take the dense dot product (A holds a NaN or an infinity there). Four partial sums per row
// break the add chain so loads and multiply-adds overlap.
void SparseColumnsRange(const SparseGemmProblem& pr, const bool* dense_rows, int64_t j0, int64_t j1) {
  const SparseColumns& b = *pr.b;
  for (int64_t j = j0; j < j1; ++j) {
    const uint32_t begin = b.start[j], end = b.start[j + 1];
    const float bias = pr.col_bias != nullptr ? pr.col_bias[j] : 0.0f;
    for (int64_t i = 0; i < pr.m; ++i) {
      const float* a = pr.a + i * pr.lda;
      float sum = 0.0f;
      if (dense_rows[i]) {
        const float* column = pr.dense_b.data + j * pr.dense_b.col_stride;
        for (int64_t l = 0; l < b.k; ++l) sum += a[l] * column[l * pr.dense_b.row_stride];
      } else {
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        uint32_t z = begin;
        for (; z + 4 <= end; z += 4) {
          s0 += b.values[z] * a[b.index[z]];
          s1 += b.values[z + 1] * a[b.index[z + 1]];
          s2 += b.values[z + 2] * a[b.index[z + 2]];
          s3 += b.values[z + 3] * a[b.index[z + 3]];
        }
        for (; z < end; ++z) s0 += b.values[z] * a[b.index[z]];
        sum = (s0 + s1) + (s2 + s3);
      }
      pr.c[i * pr.ldc + j] = sum + bias;
    }
  }
  for (int64_t i = 0; i < pr.m; ++i) ApplyActivationInline(pr.activation, pr.c + i * pr.ldc + j0, j1 - j0);
}

// Rows [m0, m1) of C for SparseRowsGemmRun.
KINGLET_SIMD_CLONES void SparseRowsRange(const SparseRowsProblem& pr, int64_t m0, int64_t m1) {
  const SparseRows& a = *pr.a;
  for (int64_t m = m0; m < m1; ++m) {
    float* __restrict c = pr.c + m * pr.ldc;
    const float bias = pr.row_bias != nullptr ? pr.row_bias[m] : 0.0f;
    for (int64_t j = 0; j < pr.n; ++j) c[j] = bias;
    for (uint32_t z = a.start[m]; z < a.start[m + 1]; ++z) {
      const float w = a.values[z];
      const float* __restrict b = pr.b + a.index[z] * pr.ldb;
      for (int64_t j = 0; j < pr.n; ++j) c[j] += w * b[j];
    }
    ApplyActivationInline(pr.activation, c, pr.n);
  }
}

}  // namespace

double Density(int64_t k, int64_t n, MatrixView b) {
  if (k <= 0 || n <= 0) return 1.0;
  int64_t nonzeros = 0;
  for (int64_t l = 0; l < k; ++l) {
    for (int64_t j = 0; j < n; ++j) nonzeros += b.data[l * b.row_stride + j * b.col_stride] != 0.0f ? 1 : 0;
  }
  return static_cast<double>(nonzeros) / static_cast<double>(k * n);
}

SparseColumns CompressSparseB(int64_t k, int64_t n, MatrixView b) {
  SparseColumns s;
  s.k = k;
  s.n = n;
  CompressLines(b.data, n, k, b.col_stride, b.row_stride, &s.start, &s.index, &s.values);
  return s;
}

void SparseGemmRun(const SparseGemmProblem& pr, runtime::ThreadPool* pool) {
  if (pr.m <= 0 || pr.b->n <= 0) return;
  bool dense_rows[kSparseGemmMaxRows];
  for (int64_t i = 0; i < pr.m; ++i) dense_rows[i] = !AllFinite(pr.a + i * pr.lda, pr.b->k);
  const int64_t n = pr.b->n;
  const int64_t nonzeros = static_cast<int64_t>(pr.b->values.size()) * pr.m;
  const int64_t threads = pool != nullptr ? pool->size() : 1;
  const int64_t tasks = std::min({threads, n, nonzeros / kMinTaskNonzeros});
  runtime::ParallelForRanges(pool, n, tasks, 1,
                             [&](int64_t j0, int64_t j1) { SparseColumnsRange(pr, dense_rows, j0, j1); });
}

SparseRows CompressSparseA(int64_t m, int64_t k, MatrixView a) {
  SparseRows s;
  s.m = m;
  s.k = k;
  CompressLines(a.data, m, k, a.row_stride, a.col_stride, &s.start, &s.index, &s.values);
  return s;
}

void SparseRowsGemmRun(const SparseRowsProblem& pr, runtime::ThreadPool* pool) {
  const int64_t m = pr.a->m;
  if (m <= 0 || pr.n <= 0) return;
  const int64_t work = (static_cast<int64_t>(pr.a->values.size()) + m) * pr.n;
  const int64_t threads = pool != nullptr ? pool->size() : 1;
  const int64_t tasks = std::min({threads, m, work / (kMinTaskNonzeros * 4)});
  runtime::ParallelForRanges(pool, m, tasks, 1, [&](int64_t m0, int64_t m1) { SparseRowsRange(pr, m0, m1); });
}

}  // namespace kinglet::kernels
