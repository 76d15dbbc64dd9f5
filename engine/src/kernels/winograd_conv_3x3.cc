#include "kernels/winograd_conv_3x3.h"

#include <algorithm>

#include "kernels/fused_activation_inline.h"
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

// Per thread: the padded plane, or two full output rows (2 x 2 * tiles_w) for the output
// transform, whichever is larger.
size_t ThreadBufferBytes(const reference::ConvParams& p) {
  const int64_t plane = PaddedRows(p) * PaddedCols(p);
  const int64_t rows = 2 * PaddedCols(p);
  return Aligned(static_cast<size_t>(std::max(plane, rows)) * sizeof(float));
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
  const int64_t padded_rows = PaddedRows(p), padded_cols = PaddedCols(p);

  for (int64_t n = 0; n < p.batch; ++n) {
    const float* x_n = x + n * c_count * in_h * in_w;
    float* y_n = y + n * m_count * out_h * out_w;
    // Input transform, one channel per task: copy the channel into its zero border, then 4x4
    // tiles every 2 pixels. The loop runs along a tile row, so each of the 16 outputs is a
    // contiguous stream and the compiler vectorises across tiles.
    runtime::ParallelFor(pool, c_count, [&](int64_t c, int slot) {
      float* padded = thread_buffer(slot);
      std::fill_n(padded, padded_rows * padded_cols, 0.0f);
      const float* plane = x_n + c * in_h * in_w;
      for (int64_t h = 0; h < in_h && h + p.pads_begin[0] < padded_rows; ++h) {
        const int64_t cols = std::min(in_w, padded_cols - p.pads_begin[1]);
        std::copy(plane + h * in_w, plane + h * in_w + cols, padded + (h + p.pads_begin[0]) * padded_cols + p.pads_begin[1]);
      }
      for (int64_t th = 0; th < tiles_h; ++th) {
        const float* r0 = padded + 2 * th * padded_cols;
        const float* r1 = r0 + padded_cols;
        const float* r2 = r1 + padded_cols;
        const float* r3 = r2 + padded_cols;
        float* out = v + c * tiles + th * tiles_w;
        const int64_t stream = c_count * tiles;  // distance between transform points
        for (int64_t tw = 0; tw < tiles_w; ++tw) {
          const int64_t s = 2 * tw;
          // t = B^T d (columns), then V = t B (rows); B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
          float t[4][4];
          for (int col = 0; col < 4; ++col) {
            t[0][col] = r0[s + col] - r2[s + col];
            t[1][col] = r1[s + col] + r2[s + col];
            t[2][col] = r2[s + col] - r1[s + col];
            t[3][col] = r1[s + col] - r3[s + col];
          }
          for (int row = 0; row < 4; ++row) {
            out[(row * 4 + 0) * stream + tw] = t[row][0] - t[row][2];
            out[(row * 4 + 1) * stream + tw] = t[row][1] + t[row][2];
            out[(row * 4 + 2) * stream + tw] = t[row][2] - t[row][1];
            out[(row * 4 + 3) * stream + tw] = t[row][1] - t[row][3];
          }
        }
      }
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
      float* plane = y_n + m * out_h * out_w;
      const float b = bias != nullptr ? bias[m] : 0.0f;
      float* row0 = thread_buffer(slot);
      float* row1 = row0 + padded_cols;
      const int64_t stream = m_count * tiles;
      for (int64_t th = 0; th < tiles_h; ++th) {
        const float* in = products + m * tiles + th * tiles_w;
        for (int64_t tw = 0; tw < tiles_w; ++tw) {
          float q[16];
          for (int xi = 0; xi < kPoints; ++xi) q[xi] = in[xi * stream + tw];
          // t = A^T m (2 x 4), then Y = t A; A^T = [1 1 1 0; 0 1 -1 -1].
          float t[2][4];
          for (int col = 0; col < 4; ++col) {
            t[0][col] = q[0 * 4 + col] + q[1 * 4 + col] + q[2 * 4 + col];
            t[1][col] = q[1 * 4 + col] - q[2 * 4 + col] - q[3 * 4 + col];
          }
          row0[2 * tw] = t[0][0] + t[0][1] + t[0][2] + b;
          row0[2 * tw + 1] = t[0][1] - t[0][2] - t[0][3] + b;
          row1[2 * tw] = t[1][0] + t[1][1] + t[1][2] + b;
          row1[2 * tw + 1] = t[1][1] - t[1][2] - t[1][3] + b;
        }
        for (int r = 0; r < 2 && 2 * th + r < out_h; ++r) {
          float* y_row = plane + (2 * th + r) * out_w;
          std::copy(r == 0 ? row0 : row1, (r == 0 ? row0 : row1) + out_w, y_row);
          ApplyActivationInline(activation, y_row, out_w);
        }
      }
    });
  }
}

}  // namespace kinglet::kernels
