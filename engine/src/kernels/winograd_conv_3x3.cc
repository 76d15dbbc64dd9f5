#include "kernels/winograd_conv_3x3.h"

#include <algorithm>

#include "kernels/fused_activation_inline.h"
#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

constexpr int kTile = 4;       // input tile edge (F(2x2, 3x3): 2 outputs + 3 taps - 1)
constexpr int kPoints = 16;    // kTile * kTile transform points, one GEMM each

int64_t TilesH(const reference::ConvParams& p) { return (p.out_spatial[0] + 1) / 2; }
int64_t TilesW(const reference::ConvParams& p) { return (p.out_spatial[1] + 1) / 2; }

size_t Aligned(size_t bytes) { return (bytes + 63) / 64 * 64; }

// The zero-bordered copy of one input channel the tiles are cut from: 2 * tiles + 2 rows and
// columns, so every 4x4 tile lies inside it and the transform needs no bounds checks.
int64_t PaddedRows(const reference::ConvParams& p) { return 2 * ((p.out_spatial[0] + 1) / 2) + 2; }
int64_t PaddedCols(const reference::ConvParams& p) { return 2 * ((p.out_spatial[1] + 1) / 2) + 2; }

// Per thread: the padded plane and four rows of column-transformed input (the input
// transform), or four rows of tile outputs (the output transform), whichever is larger.
size_t ThreadBufferBytes(const reference::ConvParams& p) {
  const int64_t input = (PaddedRows(p) + 4) * PaddedCols(p);
  const int64_t output = 4 * TilesW(p);
  return Aligned(static_cast<size_t>(std::max(input, output)) * sizeof(float));
}

// The GEMM of one transform point, shapes only (for the scratch size).
SgemmProblem PointProblem(const reference::ConvParams& p, const PackedMatrix* packed) {
  SgemmProblem pr;
  pr.m = p.out_channels;
  pr.n = TilesH(p) * TilesW(p);
  pr.k = p.in_channels;
  pr.packed_a = packed;
  return pr;
}

// U = G g G^T for one 3x3 filter g, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
void WeightTransform(const float g[9], float u[16]) {
  float t[12];  // G g: 4 x 3
  for (int c = 0; c < 3; ++c) {
    t[0 * 3 + c] = g[0 * 3 + c];
    t[1 * 3 + c] = 0.5f * (g[0 * 3 + c] + g[1 * 3 + c] + g[2 * 3 + c]);
    t[2 * 3 + c] = 0.5f * (g[0 * 3 + c] - g[1 * 3 + c] + g[2 * 3 + c]);
    t[3 * 3 + c] = g[2 * 3 + c];
  }
  for (int r = 0; r < 4; ++r) {
    const float* row = t + r * 3;
    u[r * 4 + 0] = row[0];
    u[r * 4 + 1] = 0.5f * (row[0] + row[1] + row[2]);
    u[r * 4 + 2] = 0.5f * (row[0] - row[1] + row[2]);
    u[r * 4 + 3] = row[2];
  }
}

// Input transform of one channel: copy it into its zero border, then 4x4 tiles every 2 pixels,
// V = B^T d B with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. Per tile row, B^T runs down
// whole padded rows and B along them; both loops stream contiguous (or stride-2) memory, so the
// compiler vectorises them, and each of the 16 outputs (`stream` floats apart) is a contiguous run
// across the row's tiles.
KINGLET_SIMD_CLONES void TransformInputChannel(const reference::ConvParams& p, const float* plane,
                                               float* __restrict buffer, float* __restrict out_c, int64_t stream) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t tiles_h = TilesH(p), tiles_w = TilesW(p);
  const int64_t padded_rows = PaddedRows(p), padded_cols = PaddedCols(p);
  float* padded = buffer;
  float* columns = buffer + padded_rows * padded_cols;  // 4 rows: B^T applied down the tile row
  std::fill_n(padded, padded_rows * padded_cols, 0.0f);
  for (int64_t h = 0; h < in_h && h + p.pads_begin[0] < padded_rows; ++h) {
    const int64_t cols = std::min(in_w, padded_cols - p.pads_begin[1]);
    std::copy(plane + h * in_w, plane + h * in_w + cols, padded + (h + p.pads_begin[0]) * padded_cols + p.pads_begin[1]);
  }
  for (int64_t th = 0; th < tiles_h; ++th) {
    const float* r0 = padded + 2 * th * padded_cols;
    const float* r1 = r0 + padded_cols;
    const float* r2 = r1 + padded_cols;
    const float* r3 = r2 + padded_cols;
    float* t0 = columns;
    float* t1 = t0 + padded_cols;
    float* t2 = t1 + padded_cols;
    float* t3 = t2 + padded_cols;
    for (int64_t x = 0; x < padded_cols; ++x) {
      t0[x] = r0[x] - r2[x];
      t1[x] = r1[x] + r2[x];
      t2[x] = r2[x] - r1[x];
      t3[x] = r1[x] - r3[x];
    }
    for (int row = 0; row < 4; ++row) {
      const float* t = columns + row * padded_cols;
      float* v0 = out_c + (row * 4 + 0) * stream + th * tiles_w;
      float* v1 = v0 + stream;
      float* v2 = v1 + stream;
      float* v3 = v2 + stream;
      for (int64_t tw = 0; tw < tiles_w; ++tw) {
        const float d0 = t[2 * tw], d1 = t[2 * tw + 1], d2 = t[2 * tw + 2], d3 = t[2 * tw + 3];
        v0[tw] = d0 - d2;
        v1[tw] = d1 + d2;
        v2[tw] = d2 - d1;
        v3[tw] = d1 - d3;
      }
    }
  }
}

// Output transform of one output channel: Y = A^T m A with A^T = [1 1 1 0; 0 1 -1 -1], per tile
// row: the 2x2 outputs of all the row's tiles first (contiguous reads of the 16 GEMM results,
// `stream` floats apart, and contiguous writes, so it vectorises), then interleaved into two
// output rows with the bias, then the activation.
KINGLET_SIMD_CLONES void TransformOutputChannel(const reference::ConvParams& p, const float* __restrict in_m,
                                                int64_t stream, float b,
                                                const reference::FusedActivationParams& activation,
                                                float* __restrict buffer, float* plane) {
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  const int64_t tiles_h = TilesH(p), tiles_w = TilesW(p);
  float* y00 = buffer;  // top-left output of each tile in the row, then top-right, ...
  float* y01 = y00 + tiles_w;
  float* y10 = y01 + tiles_w;
  float* y11 = y10 + tiles_w;
  for (int64_t th = 0; th < tiles_h; ++th) {
    const float* __restrict row = in_m + th * tiles_w;
    for (int64_t tw = 0; tw < tiles_w; ++tw) {
      float t[2][4];  // A^T m
      for (int col = 0; col < 4; ++col) {
        const float m0 = row[(0 * 4 + col) * stream + tw], m1 = row[(1 * 4 + col) * stream + tw];
        const float m2 = row[(2 * 4 + col) * stream + tw], m3 = row[(3 * 4 + col) * stream + tw];
        t[0][col] = m0 + m1 + m2;
        t[1][col] = m1 - m2 - m3;
      }
      y00[tw] = t[0][0] + t[0][1] + t[0][2] + b;
      y01[tw] = t[0][1] - t[0][2] - t[0][3] + b;
      y10[tw] = t[1][0] + t[1][1] + t[1][2] + b;
      y11[tw] = t[1][1] - t[1][2] - t[1][3] + b;
    }
    for (int r = 0; r < 2 && 2 * th + r < out_h; ++r) {
      const float* left = r == 0 ? y00 : y10;
      const float* right = r == 0 ? y01 : y11;
      float* y_row = plane + (2 * th + r) * out_w;
      const int64_t pairs = out_w / 2;
      for (int64_t tw = 0; tw < pairs; ++tw) {
        y_row[2 * tw] = left[tw];
        y_row[2 * tw + 1] = right[tw];
      }
      if (out_w % 2 != 0) y_row[out_w - 1] = left[pairs];
      ApplyActivationInline(activation, y_row, out_w);
    }
  }
}

}  // namespace

bool WinogradConv3x3Applies(const reference::ConvParams& p) {
  return p.rank() == 2 && p.group == 1 && p.kernel[0] == 3 && p.kernel[1] == 3 && p.strides[0] == 1 &&
         p.strides[1] == 1 && p.dilations[0] == 1 && p.dilations[1] == 1;
}

WinogradWeights TransformWinogradWeights(const SgemmKernel& kernel, const reference::ConvParams& p, const float* w) {
  const int64_t m_count = p.out_channels, c_count = p.in_channels;
  // u[xi][m][c], then each xi's M x C matrix packed as the GEMM's A operand.
  std::vector<float> u(static_cast<size_t>(kPoints * m_count * c_count));
  float point[kPoints];
  for (int64_t m = 0; m < m_count; ++m) {
    for (int64_t c = 0; c < c_count; ++c) {
      WeightTransform(w + (m * c_count + c) * 9, point);
      for (int xi = 0; xi < kPoints; ++xi) u[(xi * m_count + m) * c_count + c] = point[xi];
    }
  }
  WinogradWeights weights;
  for (int xi = 0; xi < kPoints; ++xi) {
    weights.transformed.push_back(
        PackSgemmA(kernel, m_count, c_count, 1.0f, MatrixView{u.data() + xi * m_count * c_count, c_count, 1}));
  }
  return weights;
}

size_t WinogradConv3x3ScratchBytes(const SgemmKernel& kernel, const reference::ConvParams& p, int threads) {
  const size_t tiles = static_cast<size_t>(TilesH(p) * TilesW(p));
  const size_t v_bytes = Aligned(kPoints * p.in_channels * tiles * sizeof(float));
  const size_t m_bytes = Aligned(kPoints * p.out_channels * tiles * sizeof(float));
  static const PackedMatrix kPackedMarker;
  const size_t gemm_bytes = Aligned(SgemmThreadScratchBytes(kernel, PointProblem(p, &kPackedMarker), 1));
  return v_bytes + m_bytes + (gemm_bytes + ThreadBufferBytes(p)) * static_cast<size_t>(threads);
}

void WinogradConv3x3(const SgemmKernel& kernel, const reference::ConvParams& p, const WinogradWeights& weights,
                     const float* x, const float* bias, const reference::FusedActivationParams& activation, float* y,
                     runtime::ThreadPool* pool, void* scratch) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  const int64_t tiles_h = TilesH(p), tiles_w = TilesW(p), tiles = tiles_h * tiles_w;
  const int64_t c_count = p.in_channels, m_count = p.out_channels;
  float* v = static_cast<float*>(scratch);  // v[xi][c][tile]
  float* products = v + Aligned(kPoints * c_count * tiles * sizeof(float)) / sizeof(float);  // [xi][m][tile]
  char* gemm_scratch = reinterpret_cast<char*>(products) + Aligned(kPoints * m_count * tiles * sizeof(float));
  const size_t gemm_bytes = Aligned(SgemmThreadScratchBytes(kernel, PointProblem(p, &weights.transformed[0]), 1));
  char* thread_buffers = gemm_scratch + gemm_bytes * (pool != nullptr ? pool->size() : 1);
  auto thread_buffer = [&](int slot) {
    return reinterpret_cast<float*>(thread_buffers + ThreadBufferBytes(p) * slot);
  };

  for (int64_t n = 0; n < p.batch; ++n) {
    const float* x_n = x + n * c_count * in_h * in_w;
    float* y_n = y + n * m_count * out_h * out_w;
    // Input transform, one channel per task: copy the channel into its zero border, then 4x4
    // tiles every 2 pixels. The loop runs along a tile row, so each of the 16 outputs is a
    // contiguous stream and the compiler vectorises across tiles.
    runtime::ParallelFor(pool, c_count, [&](int64_t c, int slot) {
      TransformInputChannel(p, x_n + c * in_h * in_w, thread_buffer(slot), v + c * tiles, c_count * tiles);
    });
    // The 16 GEMMs, one per task: products[xi] (M x tiles) = U[xi] (M x C) * v[xi] (C x tiles).
    runtime::ParallelFor(pool, kPoints, [&](int64_t xi, int slot) {
      SgemmProblem pr = PointProblem(p, &weights.transformed[xi]);
      pr.b = MatrixView{v + xi * c_count * tiles, tiles, 1};
      pr.c = products + xi * m_count * tiles;
      pr.ldc = tiles;
      SgemmRun(kernel, pr, nullptr, gemm_scratch + gemm_bytes * slot);
    });
    // Output transform, one output channel per task: Y = A^T m A along a tile row (contiguous
    // reads of the 16 GEMM results), into two row buffers, then bias and activation on the way
    // to Y.
    runtime::ParallelFor(pool, m_count, [&](int64_t m, int slot) {
      TransformOutputChannel(p, products + m * tiles, m_count * tiles, bias != nullptr ? bias[m] : 0.0f, activation,
                             thread_buffer(slot), y_n + m * out_h * out_w);
    });
  }
}

}  // namespace kinglet::kernels
