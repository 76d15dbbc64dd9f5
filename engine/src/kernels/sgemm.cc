#include "kernels/sgemm.h"

#include <algorithm>

#include "kernels/cpu_features.h"
#if defined(__x86_64__)
#include "kernels/x86/sgemm_avx2.h"
#include "kernels/x86/sgemm_avx512.h"
#endif

namespace kinglet::kernels {
namespace {

// Cache blocking: a KC x NR panel of B (16 KB at NR = 16) stays in L1 while the tile kernel
// walks the MR-row panels of an MC x KC block of A (~100-200 KB, L2); the KC x NC slab of B
// (1 MB) is reused by every block of A.
constexpr int64_t kKc = 256;
constexpr int64_t kNc = 1024;
constexpr int64_t kMcPanels = 16;

constexpr int kPortableRows = 4;
constexpr int kPortableCols = 8;

// A 4 x 8 tile: 32 accumulators the compiler keeps in vector registers (8 SSE or NEON
// registers); the fixed trip counts let it vectorise the column loop.
void PortableTile(int64_t k, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  float acc[kPortableRows][kPortableCols] = {};
  for (int64_t l = 0; l < k; ++l) {
    for (int r = 0; r < kPortableRows; ++r) {
      const float a_r = a[r];
      for (int j = 0; j < kPortableCols; ++j) acc[r][j] += a_r * b[j];
    }
    a += kPortableRows;
    b += kPortableCols;
  }
  for (int r = 0; r < kPortableRows; ++r) {
    float* row = c + r * ldc;
    for (int j = 0; j < kPortableCols; ++j) row[j] = accumulate ? row[j] + acc[r][j] : acc[r][j];
  }
}

int64_t RoundUp(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

size_t AlignedBytes(int64_t floats) { return static_cast<size_t>(RoundUp(floats * 4, 64)); }

int64_t McOf(const SgemmKernel& kernel) { return kernel.mr * kMcPanels; }

// Packs rows [i0, i0 + rows) x columns [l0, l0 + kc) of alpha * A into MR-row panels, each
// [kc][MR]; rows past the end are zero so the last panel runs the full tile.
void PackA(MatrixView a, float alpha, int64_t i0, int64_t rows, int64_t l0, int64_t kc, int mr, float* dst) {
  for (int64_t p = 0; p < rows; p += mr) {
    const int64_t live = std::min<int64_t>(mr, rows - p);
    for (int64_t l = 0; l < kc; ++l) {
      const float* src = a.data + (i0 + p) * a.row_stride + (l0 + l) * a.col_stride;
      int64_t r = 0;
      for (; r < live; ++r) dst[r] = alpha * src[r * a.row_stride];
      for (; r < mr; ++r) dst[r] = 0.0f;
      dst += mr;
    }
  }
}

// Packs rows [l0, l0 + kc) x columns [j0, j0 + cols) of B into NR-column panels, each [kc][NR],
// zero-padded past the last column.
void PackB(MatrixView b, int64_t l0, int64_t kc, int64_t j0, int64_t cols, int nr, float* dst) {
  for (int64_t p = 0; p < cols; p += nr) {
    const int64_t live = std::min<int64_t>(nr, cols - p);
    for (int64_t l = 0; l < kc; ++l) {
      const float* src = b.data + (l0 + l) * b.row_stride + (j0 + p) * b.col_stride;
      int64_t j = 0;
      if (b.col_stride == 1) {
        for (; j < live; ++j) dst[j] = src[j];
      } else {
        for (; j < live; ++j) dst[j] = src[j * b.col_stride];
      }
      for (; j < nr; ++j) dst[j] = 0.0f;
      dst += nr;
    }
  }
}

}  // namespace

const SgemmKernel& PortableSgemmKernel() {
  static const SgemmKernel kernel{"portable 4x8", kPortableRows, kPortableCols, PortableTile};
  return kernel;
}

const SgemmKernel& BestSgemmKernel() {
#if defined(__x86_64__)
  const CpuFeatures& cpu = DetectCpuFeatures();
  if (cpu.avx512f) return x86::Avx512SgemmKernel();
  if (cpu.avx2_fma) return x86::Avx2SgemmKernel();
#endif
  return PortableSgemmKernel();
}

std::vector<const SgemmKernel*> AvailableSgemmKernels() {
  std::vector<const SgemmKernel*> kernels = {&PortableSgemmKernel()};
#if defined(__x86_64__)
  const CpuFeatures& cpu = DetectCpuFeatures();
  if (cpu.avx2_fma) kernels.push_back(&x86::Avx2SgemmKernel());
  if (cpu.avx512f) kernels.push_back(&x86::Avx512SgemmKernel());
#endif
  return kernels;
}

size_t SgemmScratchBytes(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k) {
  const int64_t kc = std::min(k, kKc);
  const int64_t mc = RoundUp(std::min(m, McOf(kernel)), kernel.mr);
  const int64_t nc = RoundUp(std::min(n, kNc), kernel.nr);
  return AlignedBytes(mc * kc) + AlignedBytes(kc * nc);
}

void Sgemm(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b,
           float* c, int64_t ldc, bool accumulate, void* scratch) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (int64_t i = 0; i < m; ++i) std::fill_n(c + i * ldc, n, 0.0f);
    }
    return;
  }
  const int mr = kernel.mr;
  const int nr = kernel.nr;
  const int64_t mc_max = McOf(kernel);
  float* a_pack = static_cast<float*>(scratch);
  float* b_pack = a_pack + AlignedBytes(RoundUp(std::min(m, mc_max), mr) * std::min(k, kKc)) / sizeof(float);
  float edge[kMaxSgemmTile];

  for (int64_t j0 = 0; j0 < n; j0 += kNc) {
    const int64_t nc = std::min(kNc, n - j0);
    for (int64_t l0 = 0; l0 < k; l0 += kKc) {
      const int64_t kc = std::min(kKc, k - l0);
      const bool add = accumulate || l0 > 0;  // later K blocks add onto the first one's result
      PackB(b, l0, kc, j0, nc, nr, b_pack);
      for (int64_t i0 = 0; i0 < m; i0 += mc_max) {
        const int64_t mc = std::min(mc_max, m - i0);
        PackA(a, alpha, i0, mc, l0, kc, mr, a_pack);
        for (int64_t jp = 0; jp < nc; jp += nr) {
          const float* b_panel = b_pack + jp * kc;
          const int64_t cols = std::min<int64_t>(nr, nc - jp);
          for (int64_t ip = 0; ip < mc; ip += mr) {
            const float* a_panel = a_pack + ip * kc;
            const int64_t rows = std::min<int64_t>(mr, mc - ip);
            float* c_tile = c + (i0 + ip) * ldc + j0 + jp;
            if (rows == mr && cols == nr) {
              kernel.tile(kc, a_panel, b_panel, c_tile, ldc, add);
              continue;
            }
            // A ragged edge: run the full tile into a local buffer, keep the live part.
            kernel.tile(kc, a_panel, b_panel, edge, nr, false);
            for (int64_t r = 0; r < rows; ++r) {
              float* row = c_tile + r * ldc;
              const float* src = edge + r * nr;
              for (int64_t j = 0; j < cols; ++j) row[j] = add ? row[j] + src[j] : src[j];
            }
          }
        }
      }
    }
  }
}

}  // namespace kinglet::kernels
