// The fast single-precision GEMM behind Gemm, MatMul and Conv: C = alpha * A * B (+ C).
//
// Goto/BLIS structure: B is packed into KC x NR column panels and A into MC x KC blocks of MR-row
// panels, both small enough to stay in cache while a register-blocked MR x NR tile kernel sweeps
// them. Only the tile kernel is architecture-specific; this driver, the packing and the portable
// tile are plain C++. kernels/reference/gemm.h is the specification every tile is tested against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kinglet::kernels {

// c[MR x NR] (row stride ldc) = a_panel * b_panel (+ c when accumulate), where a_panel is
// [k][MR] and b_panel is [k][NR], both contiguous.
using SgemmTileFn = void (*)(int64_t k, const float* a_panel, const float* b_panel, float* c, int64_t ldc,
                             bool accumulate);

struct SgemmKernel {
  const char* name;
  int mr;  // tile rows; mr * nr <= kMaxSgemmTile
  int nr;  // tile columns
  SgemmTileFn tile;
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

// Bytes of scratch Sgemm needs for these dimensions (its packing buffers), 64-byte multiple.
size_t SgemmScratchBytes(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k);

// c[m x n] (row stride ldc) = alpha * a[m x k] * b[k x n] (+ c when accumulate). `scratch`
// holds at least SgemmScratchBytes(kernel, m, n, k) bytes, 64-byte aligned. Never allocates;
// c must not overlap a or b.
void Sgemm(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b,
           float* c, int64_t ldc, bool accumulate, void* scratch);

}  // namespace kinglet::kernels
