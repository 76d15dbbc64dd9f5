#include "kernels/sgemm.h"

#include <algorithm>
#include <limits>

#include "kernels/cpu_features.h"
#include "kernels/fused_activation_inline.h"
#include "runtime/thread_pool.h"
#if defined(__x86_64__)
#include "kernels/x86/sgemm_avx2.h"
#include "kernels/x86/sgemm_avx512.h"
#endif
#if defined(__aarch64__)
#include "kernels/arm/sgemm_neon.h"
#endif

namespace kinglet::kernels {
namespace {

// Cache blocking: a KC x NR panel of B (16 KB at NR = 16) stays in L1 while the tile kernel
// walks the MR-row panels of an MC x KC block of A (~100-200 KB, L2); the KC x NC slab of B
// is reused by every block of A.
constexpr int64_t kKc = 256;
constexpr int64_t kNc = 1024;
constexpr int64_t kMcPanels = 16;
// Ragged edges of up to this many live columns run the column tile once per column.
constexpr int64_t kColumnTileCols = 2;
// Below this many multiply-adds per task, waking another thread costs more than it saves.
constexpr int64_t kMinTaskMacs = 64 * 1024;

constexpr int kPortableRows = 4;
constexpr int kPortableCols = 8;

// A 4 x 8 tile: 32 accumulators the compiler keeps in vector registers (8 SSE or NEON
// registers); the fixed trip counts let it vectorise the column loop.
void PortableTile(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows,
                  bool accumulate, const TileEpilogue* e) {
  float acc[kPortableRows][kPortableCols] = {};
  for (int64_t l = 0; l < k; ++l) {
    for (int r = 0; r < kPortableRows; ++r) {
      const float a_r = a[r];
      for (int j = 0; j < kPortableCols; ++j) acc[r][j] += a_r * b[j];
    }
    a += kPortableRows;
    b += ldb;
  }
  for (int r = 0; r < rows; ++r) {
    float* row = c + r * ldc;
    for (int j = 0; j < kPortableCols; ++j) {
      float v = accumulate ? row[j] + acc[r][j] : acc[r][j];
      if (e != nullptr) {
        if (e->row_bias != nullptr) v += e->row_bias[r];
        if (e->col_bias != nullptr) v += e->col_bias[j];
        if (e->clamp) {
          v = v < e->lo ? e->lo : v;
          v = e->hi < v ? e->hi : v;
        }
      }
      row[j] = v;
    }
  }
}

int64_t RoundUp(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }
int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

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

// Where panel `p0` (a multiple of the width) of K block `l0` starts in a PackedMatrix.
const float* PackedBlock(const PackedMatrix& m, int64_t l0, int64_t p0) {
  const int64_t kc = std::min(kKc, m.depth - l0);
  return m.data.data() + l0 * RoundUp(m.outer, m.width) + p0 * kc;
}

void ApplyEpilogue(const SgemmEpilogue& e, float* c, int64_t ldc, int64_t i0, int64_t j0, int64_t rows,
                   int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = c + r * ldc;
    if (e.row_bias != nullptr) {
      const float bias = e.row_bias[i0 + r];
      for (int64_t j = 0; j < cols; ++j) row[j] += bias;
    }
    if (e.col_bias != nullptr) {
      for (int64_t j = 0; j < cols; ++j) row[j] += e.col_bias[j0 + j];
    }
    ApplyActivationInline(e.activation, row, cols);
  }
}

// The tile kernels apply bias and ReLU/Clip in registers; other activations run after the tile.
bool TileCanApply(const SgemmEpilogue& e) {
  using Kind = reference::FusedActivationKind;
  return e.activation.kind == Kind::kNone || e.activation.kind == Kind::kRelu || e.activation.kind == Kind::kClip;
}

TileEpilogue TileEpilogueOf(const SgemmEpilogue& e, int64_t i, int64_t j) {
  TileEpilogue t;
  t.row_bias = e.row_bias != nullptr ? e.row_bias + i : nullptr;
  t.col_bias = e.col_bias != nullptr ? e.col_bias + j : nullptr;
  switch (e.activation.kind) {
    case reference::FusedActivationKind::kRelu:
      t.clamp = true;
      t.lo = 0.0f;
      t.hi = std::numeric_limits<float>::infinity();
      break;
    case reference::FusedActivationKind::kClip:
      t.clamp = true;
      t.lo = e.activation.min;
      t.hi = e.activation.max;
      break;
    default:
      break;
  }
  return t;
}

bool HasEpilogue(const SgemmEpilogue& e) {
  return e.row_bias != nullptr || e.col_bias != nullptr ||
         e.activation.kind != reference::FusedActivationKind::kNone;
}

// How the problem is cut into tasks: column ranges of at most kNc, and row ranges too when there
// are fewer column ranges than threads.
struct Partition {
  int64_t col_chunk = 0, col_tasks = 0;
  int64_t row_chunk = 0, row_tasks = 0;
  int64_t tasks() const { return col_tasks * row_tasks; }
};

Partition Split(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k, int threads) {
  const int64_t useful = std::max<int64_t>(1, std::min<int64_t>(threads, m * n * k / kMinTaskMacs));
  Partition p;
  const int64_t panels = CeilDiv(n, kernel.nr);
  p.col_tasks = std::max(CeilDiv(n, kNc), std::min(panels, useful));
  p.col_chunk = RoundUp(CeilDiv(n, p.col_tasks), kernel.nr);
  p.col_tasks = CeilDiv(n, p.col_chunk);
  p.row_tasks = 1;
  p.row_chunk = m;
  // Fewer than four column panels per thread split unevenly (7x7 planes' 49 columns as 32 + 17):
  // split the rows instead when they divide better, each thread then reading all of B and its
  // own share of A (MobileNetV2's 7x7 1x1 convs 15-28% faster on two threads; with more panels,
  // 14x14's 196 columns, it measured as often slower as faster).
  if (useful > 1 && p.col_tasks == useful && panels < 4 * useful) {
    const int64_t row_chunk = RoundUp(CeilDiv(m, useful), kernel.mr);
    // The largest share of each split, compared as cross products.
    if (row_chunk * n < p.col_chunk * m && CeilDiv(m, row_chunk) == useful) {
      p.col_tasks = 1;
      p.col_chunk = RoundUp(n, kernel.nr);
      p.row_tasks = useful;
      p.row_chunk = row_chunk;
      return p;
    }
  }
  if (p.col_tasks < useful) {
    p.row_tasks = std::min(CeilDiv(m, kernel.mr), CeilDiv(useful, p.col_tasks));
    p.row_chunk = RoundUp(CeilDiv(m, p.row_tasks), kernel.mr);
    p.row_tasks = CeilDiv(m, p.row_chunk);
  }
  return p;
}

size_t APackBytes(const SgemmKernel& kernel, const SgemmProblem& pr, const Partition& part) {
  if (pr.packed_a != nullptr) return 0;
  return AlignedBytes(RoundUp(std::min(part.row_chunk, McOf(kernel)), kernel.mr) * std::min(pr.k, kKc));
}

// Whether the tiles read a row-major B view where it lies instead of packing it: packing copies
// all of B once per task, which costs as much as the product itself when K or M is small (1x1
// convolutions, Winograd's per-point GEMMs). Packed, though:
// - when B's rows are a multiple of 256 bytes apart (56x56 and 112x112 planes), a panel's rows
//   share a few cache sets and evict one another between row panels — if there are many row
//   panels (more than one block of A) and the panel is more than 32 rows deep; below either,
//   reading in place measured 5-20% faster (MobileNetV2's 1x1 convs on 56x56 and 112x112 planes,
//   16-96 output channels or 24-32 input ones) and above both 3-14% slower (128 x 3136 x 128);
// - when B has fewer than four panels (7x7 planes' 49 columns): packed, the K block of B is a
//   few L1-sized panels that every row panel of A reuses (MobileNetV2's 7x7 1x1 convs 7-10%).
bool ReadsBInPlace(const SgemmKernel& kernel, const SgemmProblem& pr) {
  if (pr.packed_b != nullptr || pr.b.col_stride != 1 || pr.n < 4 * kernel.nr) return false;
  constexpr int64_t kShallowPanel = 32;
  return pr.b.row_stride % 64 != 0 || pr.m <= McOf(kernel) || std::min(pr.k, kKc) <= kShallowPanel;
}

// One task: rows [i_begin, i_end) x columns [j_begin, j_end) of C, all of K.
void RunTask(const SgemmKernel& kernel, const SgemmProblem& pr, int64_t i_begin, int64_t i_end, int64_t j_begin,
             int64_t j_end, float* a_buffer, float* b_buffer) {
  const int mr = kernel.mr;
  const int nr = kernel.nr;
  const int64_t mc_max = McOf(kernel);
  const int64_t cols_total = j_end - j_begin;
  const bool epilogue = HasEpilogue(pr.epilogue);
  const bool in_tile = TileCanApply(pr.epilogue);
  float edge[kMaxSgemmTile];
  const bool in_place = ReadsBInPlace(kernel, pr);
  const int64_t whole_cols = in_place ? cols_total / nr * nr : 0;  // columns of whole panels

  for (int64_t l0 = 0; l0 < pr.k; l0 += kKc) {
    const int64_t kc = std::min(kKc, pr.k - l0);
    const bool add = pr.accumulate || l0 > 0;  // later K blocks add onto the first one's result
    const bool last_block = l0 + kc == pr.k;
    const float* b_panels = b_buffer;
    if (pr.packed_b != nullptr) {
      b_panels = PackedBlock(*pr.packed_b, l0, j_begin);
    } else if (in_place) {
      // Whole panels are read from B itself; only a ragged last one is packed (zero-padded).
      if (whole_cols < cols_total)
        PackB(pr.b, l0, kc, j_begin + whole_cols, cols_total - whole_cols, nr, b_buffer);
    } else {
      PackB(pr.b, l0, kc, j_begin, cols_total, nr, b_buffer);
    }
    for (int64_t i0 = i_begin; i0 < i_end; i0 += mc_max) {
      const int64_t mc = std::min(mc_max, i_end - i0);
      const float* a_panels = a_buffer;
      if (pr.packed_a != nullptr) {
        a_panels = PackedBlock(*pr.packed_a, l0, i0);
      } else {
        PackA(pr.a, pr.alpha, i0, mc, l0, kc, mr, a_buffer);
      }
      for (int64_t jp = 0; jp < cols_total; jp += nr) {
        const float* b_panel = b_panels + jp * kc;
        int64_t ldb = nr;
        if (in_place) {
          b_panel = jp < whole_cols ? pr.b.data + l0 * pr.b.row_stride + j_begin + jp : b_buffer;
          ldb = jp < whole_cols ? pr.b.row_stride : nr;
        }
        const int64_t cols = std::min<int64_t>(nr, cols_total - jp);
        const int64_t j = j_begin + jp;
        for (int64_t ip = 0; ip < mc; ip += mr) {
          const float* a_panel = a_panels + ip * kc;
          const int64_t rows = std::min<int64_t>(mr, mc - ip);
          const int64_t i = i0 + ip;
          float* c_tile = pr.c + i * pr.ldc + j;
          if (cols == nr) {
            if (last_block && epilogue && in_tile) {
              const TileEpilogue e = TileEpilogueOf(pr.epilogue, i, j);
              kernel.tile(kc, a_panel, b_panel, ldb, c_tile, pr.ldc, static_cast<int>(rows), add, &e);
              continue;
            }
            kernel.tile(kc, a_panel, b_panel, ldb, c_tile, pr.ldc, static_cast<int>(rows), add, nullptr);
          } else {
            // A ragged right edge: run a tile into a local buffer, keep the live part.
            if (kernel.column_tile != nullptr && cols <= kColumnTileCols) {
              for (int64_t c = 0; c < cols; ++c) {
                kernel.column_tile(kc, a_panel, b_panel + c, ldb, edge + c, nr, static_cast<int>(rows));
              }
            } else {
              const bool narrow = kernel.narrow_tile != nullptr && cols <= kernel.narrow_nr;
              (narrow ? kernel.narrow_tile : kernel.tile)(kc, a_panel, b_panel, ldb, edge, nr,
                                                          static_cast<int>(rows), false, nullptr);
            }
            for (int64_t r = 0; r < rows; ++r) {
              float* row = c_tile + r * pr.ldc;
              const float* src = edge + r * nr;
              for (int64_t c = 0; c < cols; ++c) row[c] = add ? row[c] + src[c] : src[c];
            }
          }
          if (last_block && epilogue) ApplyEpilogue(pr.epilogue, c_tile, pr.ldc, i, j, rows, cols);
        }
      }
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
  if (cpu.avx512_full_width) return x86::Avx512SgemmKernel();
  if (cpu.avx2_fma) return x86::Avx2SgemmKernel();
#elif defined(__aarch64__)
  return arm::NeonSgemmKernel();
#endif
  return PortableSgemmKernel();
}

std::vector<const SgemmKernel*> AvailableSgemmKernels() {
  std::vector<const SgemmKernel*> kernels = {&PortableSgemmKernel()};
#if defined(__x86_64__)
  const CpuFeatures& cpu = DetectCpuFeatures();
  if (cpu.avx2_fma) kernels.push_back(&x86::Avx2SgemmKernel());
  if (cpu.avx512f) kernels.push_back(&x86::Avx512SgemmKernel());
#elif defined(__aarch64__)
  kernels.push_back(&arm::NeonSgemmKernel());
#endif
  return kernels;
}

PackedMatrix PackSgemmA(const SgemmKernel& kernel, int64_t m, int64_t k, float alpha, MatrixView a) {
  PackedMatrix packed;
  packed.outer = m;
  packed.depth = k;
  packed.width = kernel.mr;
  packed.data.resize(static_cast<size_t>(RoundUp(m, kernel.mr) * k));
  for (int64_t l0 = 0; l0 < k; l0 += kKc) {
    const int64_t kc = std::min(kKc, k - l0);
    PackA(a, alpha, 0, m, l0, kc, kernel.mr, packed.data.data() + l0 * RoundUp(m, kernel.mr));
  }
  return packed;
}

PackedMatrix PackSgemmB(const SgemmKernel& kernel, int64_t k, int64_t n, MatrixView b) {
  PackedMatrix packed;
  packed.outer = n;
  packed.depth = k;
  packed.width = kernel.nr;
  packed.data.resize(static_cast<size_t>(RoundUp(n, kernel.nr) * k));
  for (int64_t l0 = 0; l0 < k; l0 += kKc) {
    const int64_t kc = std::min(kKc, k - l0);
    PackB(b, l0, kc, 0, n, kernel.nr, packed.data.data() + l0 * RoundUp(n, kernel.nr));
  }
  return packed;
}

size_t SgemmThreadScratchBytes(const SgemmKernel& kernel, const SgemmProblem& pr, int threads) {
  if (pr.m <= 0 || pr.n <= 0 || pr.k <= 0) return 0;
  const Partition part = Split(kernel, pr.m, pr.n, pr.k, threads);
  const size_t b_bytes = pr.packed_b != nullptr ? 0 : AlignedBytes(std::min(pr.k, kKc) * part.col_chunk);
  return APackBytes(kernel, pr, part) + b_bytes;
}

void SgemmRun(const SgemmKernel& kernel, const SgemmProblem& pr, runtime::ThreadPool* pool, void* scratch) {
  if (pr.m <= 0 || pr.n <= 0) return;
  if (pr.k <= 0) {
    for (int64_t i = 0; i < pr.m; ++i) {
      float* row = pr.c + i * pr.ldc;
      if (!pr.accumulate) std::fill_n(row, pr.n, 0.0f);
      ApplyEpilogue(pr.epilogue, row, pr.ldc, i, 0, 1, pr.n);
    }
    return;
  }
  const int threads = pool != nullptr ? pool->size() : 1;
  const Partition part = Split(kernel, pr.m, pr.n, pr.k, threads);
  const size_t a_bytes = APackBytes(kernel, pr, part);
  const size_t thread_bytes = SgemmThreadScratchBytes(kernel, pr, threads);
  auto task = [&](int64_t t, int slot) {
    char* mine = static_cast<char*>(scratch) + static_cast<size_t>(slot) * thread_bytes;
    const int64_t j_begin = (t % part.col_tasks) * part.col_chunk;
    const int64_t i_begin = (t / part.col_tasks) * part.row_chunk;
    RunTask(kernel, pr, i_begin, std::min(pr.m, i_begin + part.row_chunk), j_begin,
            std::min(pr.n, j_begin + part.col_chunk), reinterpret_cast<float*>(mine),
            reinterpret_cast<float*>(mine + a_bytes));
  };
  runtime::ParallelFor(pool, part.tasks(), task);
}

size_t SgemmScratchBytes(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k) {
  SgemmProblem pr;
  pr.m = m;
  pr.n = n;
  pr.k = k;
  return SgemmThreadScratchBytes(kernel, pr, 1);
}

void Sgemm(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b,
           float* c, int64_t ldc, bool accumulate, void* scratch) {
  SgemmProblem pr;
  pr.m = m;
  pr.n = n;
  pr.k = k;
  pr.alpha = alpha;
  pr.a = a;
  pr.b = b;
  pr.c = c;
  pr.ldc = ldc;
  pr.accumulate = accumulate;
  SgemmRun(kernel, pr, nullptr, scratch);
}

}  // namespace kinglet::kernels
