// The fast single-precision GEMM behind Gemm, MatMul and Conv: C = alpha * A * B (+ C), then an
// epilogue (bias, fused activation) while each tile is still in L1.
//
// Goto/BLIS structure: B is packed into KC x NR column panels and A into MC x KC blocks of MR-row
// panels, both small enough to stay in cache while a register-blocked MR x NR tile kernel sweeps
// them. Weights are packed once at load (PackedMatrix) instead of on every call; a row-major B
// whose rows are not 256-byte multiples apart is read in place (the tiles take its row stride),
// since packing it per task costs as much as a small-K product. Work is split
// into column (and, when columns are few, row) ranges run by the session's thread pool. Only
// the tile kernel is architecture-specific; this driver, the packing and the portable tile are
// plain C++. kernels/reference/gemm.h is the specification every tile is tested against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/reference/fused_activation.h"

namespace kinglet::runtime {
class ThreadPool;
}

namespace kinglet::kernels {

// What a tile applies in registers before its store, on the last K block: + row_bias[r] +
// col_bias[j] (either may be null), then, when `clamp`, y = min(hi, max(lo, y)) with the
// reference's NaN rule (a NaN stays NaN) — ReLU is lo = 0, hi = +inf; Clip is its bounds.
struct TileEpilogue {
  const float* row_bias = nullptr;  // MR values for this tile's rows
  const float* col_bias = nullptr;  // NR values for this tile's columns
  bool clamp = false;
  float lo = 0.0f;
  float hi = 0.0f;
};

// c[MR x NR] (row stride ldc) = a_panel * b_panel (+ c when accumulate), where a_panel is
// [k][MR], contiguous, and b_panel is k rows of NR floats, `ldb` floats apart (NR when packed;
// B's own row stride when the tile reads B in place); then `epilogue` if not null. Only the first
// `rows` (1..MR) rows of c are read and written: the last row panel of a matrix whose row count
// is not a multiple of MR stores straight to C instead of through a bounce buffer.
using SgemmTileFn = void (*)(int64_t k, const float* a_panel, const float* b_panel, int64_t ldb, float* c,
                             int64_t ldc, int rows, bool accumulate, const TileEpilogue* epilogue);
// Column 0 of the product above for the first `rows` rows, stored to c (row stride ldc).
using SgemmColumnFn = void (*)(int64_t k, const float* a_panel, const float* b_panel, int64_t ldb, float* c,
                               int64_t ldc, int rows);

struct SgemmKernel {
  const char* name;
  int mr;  // tile rows; mr * nr <= kMaxSgemmTile
  int nr;  // tile columns
  SgemmTileFn tile;
  // Optional: a tile computing only the first `narrow_nr` columns (same contract otherwise), run
  // on a ragged right edge with that few live columns — a 7x7 layer's 49 columns would otherwise
  // spend a whole 16-wide tile on its last one.
  int narrow_nr = 0;
  SgemmTileFn narrow_tile = nullptr;
  // Optional: C's column 0 for `rows` rows, overwritten (no accumulate, no epilogue), run once
  // per live column on a ragged edge of one or two (odd planes: 49, 3025, 12321 columns) into the
  // bounce buffer: A's rows times one value of B per K step, a fraction of the narrow tile's work.
  SgemmColumnFn column_tile = nullptr;
};

constexpr int kMaxSgemmTile = 512;

// Always available: the tile in plain C++, which compilers vectorise for the baseline ISA.
const SgemmKernel& PortableSgemmKernel();

// The fastest tile this CPU runs (chosen once, from DetectCpuFeatures()).
const SgemmKernel& BestSgemmKernel();

// Every tile this build has and this CPU runs, portable first (for tests and benchmarks).
std::vector<const SgemmKernel*> AvailableSgemmKernels();

// A read-only matrix operand: element (i, j) is data[i * row_stride + j * col_stride], so a
// row-major matrix and the transpose of one are both views.
struct MatrixView {
  const float* data = nullptr;
  int64_t row_stride = 0;
  int64_t col_stride = 1;
};

// An operand packed once for one kernel: for each K block, panels of `width` (MR rows of A or NR
// columns of B) laid out [kc][width], zero-padded past the last row/column.
struct PackedMatrix {
  std::vector<float> data;
  int64_t outer = 0;  // rows of A, or columns of B
  int64_t depth = 0;  // K
  int width = 0;      // MR or NR
};

// Packs alpha * a[m x k] (as the A operand) or b[k x n] (as the B operand) for `kernel`.
PackedMatrix PackSgemmA(const SgemmKernel& kernel, int64_t m, int64_t k, float alpha, MatrixView a);
PackedMatrix PackSgemmB(const SgemmKernel& kernel, int64_t k, int64_t n, MatrixView b);

// Applied to every element of C after the product: + row_bias[i] + col_bias[j], then the
// activation. Null biases are skipped.
struct SgemmEpilogue {
  const float* row_bias = nullptr;
  const float* col_bias = nullptr;
  reference::FusedActivationParams activation;
};

// One GEMM. A comes packed (`packed_a`, alpha already applied) or as a view scaled by alpha;
// B comes packed or as a view. c must not overlap a or b.
struct SgemmProblem {
  int64_t m = 0, n = 0, k = 0;
  float alpha = 1.0f;
  const PackedMatrix* packed_a = nullptr;
  MatrixView a;
  const PackedMatrix* packed_b = nullptr;
  MatrixView b;
  float* c = nullptr;
  int64_t ldc = 0;
  bool accumulate = false;  // C += product instead of C = product
  SgemmEpilogue epilogue;
};

// Bytes of scratch one thread needs for `problem` (its packing buffers), 64-byte multiple.
// SgemmRun needs pool size x this.
size_t SgemmThreadScratchBytes(const SgemmKernel& kernel, const SgemmProblem& problem, int threads);

// Runs `problem` on `pool` (nullptr: on the calling thread). `scratch` holds threads x
// SgemmThreadScratchBytes bytes, 64-byte aligned. Never allocates.
void SgemmRun(const SgemmKernel& kernel, const SgemmProblem& problem, runtime::ThreadPool* pool, void* scratch);

// Single-threaded convenience: c[m x n] (row stride ldc) = alpha * a * b (+ c when accumulate).
size_t SgemmScratchBytes(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k);
void Sgemm(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b,
           float* c, int64_t ldc, bool accumulate, void* scratch);

}  // namespace kinglet::kernels
