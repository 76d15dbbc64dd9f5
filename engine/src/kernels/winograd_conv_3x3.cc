#include "kernels/winograd_conv_3x3.h"

#include <algorithm>

#include "kernels/copy_run.h"
#include "kernels/fused_activation_inline.h"
#include "kernels/lanes.h"
#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

size_t Aligned(size_t bytes) { return (bytes + 63) / 64 * 64; }

// The tiling of one conv for F(m x m, 3x3): (m + 2)^2 transform points; the input is copied into
// a zero border of m * tiles + 2 rows and columns, so every tile lies inside it and the
// transforms need no bounds checks.
struct Geometry {
  int m;       // output tile edge: 2 or 4
  int points;  // (m + 2)^2
  int64_t tiles_h, tiles_w;
  int64_t padded_cols;
  int64_t block_rows;   // tile rows per block
  int64_t block_tiles;  // block_rows * tiles_w
};

Geometry GeometryOf(const reference::ConvParams& p, int m, int64_t max_block_bytes = kWinogradMaxBlockBytes) {
  Geometry g;
  g.m = m;
  g.points = (m + 2) * (m + 2);
  g.tiles_h = (p.out_spatial[0] + m - 1) / m;
  g.tiles_w = (p.out_spatial[1] + m - 1) / m;
  g.padded_cols = m * g.tiles_w + 2;
  const int64_t row_bytes = g.points * (p.in_channels + p.out_channels) * g.tiles_w * 4;
  g.block_rows = std::max<int64_t>(1, std::min(g.tiles_h, max_block_bytes / std::max<int64_t>(1, row_bytes)));
  g.block_tiles = g.block_rows * g.tiles_w;
  return g;
}

// Padded input rows one block of tile rows reads: m per tile row, plus the 2 the last tile
// overlaps into.
int64_t WindowRows(const Geometry& g) { return g.m * g.block_rows + 2; }

// Per thread: a block's window of the zero-bordered input and m + 2 rows of column-transformed
// input (the input transform), or the m * m outputs of each of the block's tiles (the output
// transform), whichever is larger.
size_t ThreadBufferBytes(const Geometry& g) {
  const int64_t input = (WindowRows(g) + g.m + 2) * g.padded_cols;
  const int64_t output = g.m * g.m * g.block_tiles;
  return Aligned(static_cast<size_t>(std::max(input, output)) * sizeof(float));
}

// The GEMM of one transform point over `tiles` tiles, shapes only (for the scratch size).
SgemmProblem PointProblem(const reference::ConvParams& p, int64_t tiles, const PackedMatrix* packed) {
  SgemmProblem pr;
  pr.m = p.out_channels;
  pr.n = tiles;
  pr.k = p.in_channels;
  pr.packed_a = packed;
  return pr;
}

// Tile rows [begin, end) of the plane: one block.
struct TileRows {
  int64_t begin, end;
};

// Copies the padded rows tile rows `rows` read into `window` (zero outside the input), so the
// transforms need no bounds checks.
void FillWindow(const reference::ConvParams& p, const Geometry& g, TileRows rows, const float* plane,
                float* window) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t count = g.m * (rows.end - rows.begin) + 2;
  std::fill_n(window, count * g.padded_cols, 0.0f);
  const int64_t cols = std::min(in_w, g.padded_cols - p.pads_begin[1]);
  for (int64_t r = 0; r < count; ++r) {
    const int64_t h = g.m * rows.begin + r - p.pads_begin[0];
    if (h < 0 || h >= in_h || cols <= 0) continue;
    CopyShortRun(plane + h * in_w, cols, window + r * g.padded_cols + p.pads_begin[1]);
  }
}

// ---- F(2x2, 3x3): 4x4 input tiles every 2 pixels, 16 points.

// U = G g G^T for one 3x3 filter g, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
void WeightTransform2(const float g[9], float* u) {
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

// B^T down four padded rows of a tile row. Window and column rows come in as separate restrict
// pointers: both live in the thread's buffer, and GCC, unable to tell that they never overlap,
// ran this loop scalar.
KINGLET_SIMD_AVX2_ONLY inline void ColumnTransform2(const float* __restrict r0, const float* __restrict r1,
                                                    const float* __restrict r2, const float* __restrict r3,
                                                    int64_t n, float* __restrict t0, float* __restrict t1,
                                                    float* __restrict t2, float* __restrict t3) {
  for (int64_t x = 0; x < n; ++x) {
    t0[x] = r0[x] - r2[x];
    t1[x] = r1[x] + r2[x];
    t2[x] = r2[x] - r1[x];
    t3[x] = r1[x] - r3[x];
  }
}

// B along a row of column-transformed values, four tiles at a time (their 4-wide windows start
// 2 apart, so two pairs of loads deinterleaved give the four taps of all four): small planes have
// too few tiles per row (7x7: 4, 14x14: 7) for the compiler's 8-wide loop, which left them scalar.
// Returns the tiles done; reads stay inside the row's 2 * tiles + 2 floats.
KINGLET_SIMD_AVX2_ONLY inline int64_t RowTransform2Fours(const float* t, int64_t tiles, float* v0, float* v1,
                                                         float* v2, float* v3) {
  constexpr LaneIndices4 kEven = {0, 2, 4, 6}, kOdd = {1, 3, 5, 7};
  int64_t tw = 0;
  for (; tw + 4 <= tiles; tw += 4) {
    Lanes4 a, b, c, d;
    LoadLanes(t + 2 * tw, &a);  // t[2tw .. 2tw + 3]
    LoadLanes(t + 2 * tw + 4, &b);
    LoadLanes(t + 2 * tw + 2, &c);
    LoadLanes(t + 2 * tw + 6, &d);
    const Lanes4 d0 = __builtin_shuffle(a, b, kEven), d1 = __builtin_shuffle(a, b, kOdd);
    const Lanes4 d2 = __builtin_shuffle(c, d, kEven), d3 = __builtin_shuffle(c, d, kOdd);
    const Lanes4 o0 = d0 - d2, o1 = d1 + d2, o2 = d2 - d1, o3 = d1 - d3;
    StoreLanes(o0, v0 + tw);
    StoreLanes(o1, v1 + tw);
    StoreLanes(o2, v2 + tw);
    StoreLanes(o3, v3 + tw);
  }
  return tw;
}

// Input transform of one channel: copy it into its zero border, then 4x4 tiles every 2 pixels,
// V = B^T d B with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. Per tile row, B^T runs down
// whole padded rows and B along them; both loops stream contiguous (or stride-2) memory, so the
// compiler vectorises them, and each of the 16 outputs (`stream` floats apart) is a contiguous run
// across the row's tiles.
KINGLET_SIMD_AVX2_ONLY void TransformInput2(const reference::ConvParams& p, const Geometry& g, TileRows rows,
                                            const float* plane, float* __restrict buffer,
                                            float* __restrict out_c, int64_t stream) {
  const int64_t tiles_w = g.tiles_w, padded_cols = g.padded_cols;
  float* padded = buffer;
  float* columns = buffer + WindowRows(g) * padded_cols;  // 4 rows: B^T applied down the tile row
  FillWindow(p, g, rows, plane, padded);
  for (int64_t th = 0; th < rows.end - rows.begin; ++th) {
    const float* r0 = padded + 2 * th * padded_cols;
    const float* r1 = r0 + padded_cols;
    const float* r2 = r1 + padded_cols;
    const float* r3 = r2 + padded_cols;
    ColumnTransform2(r0, r1, r2, r3, padded_cols, columns, columns + padded_cols, columns + 2 * padded_cols,
                     columns + 3 * padded_cols);
    for (int row = 0; row < 4; ++row) {
      const float* t = columns + row * padded_cols;
      float* v0 = out_c + (row * 4 + 0) * stream + th * tiles_w;
      float* v1 = v0 + stream;
      float* v2 = v1 + stream;
      float* v3 = v2 + stream;
      int64_t tw = RowTransform2Fours(t, tiles_w, v0, v1, v2, v3);
      for (; tw < tiles_w; ++tw) {
        const float d0 = t[2 * tw], d1 = t[2 * tw + 1], d2 = t[2 * tw + 2], d3 = t[2 * tw + 3];
        v0[tw] = d0 - d2;
        v1[tw] = d1 + d2;
        v2[tw] = d2 - d1;
        v3[tw] = d1 - d3;
      }
    }
  }
}

// Output transform of one output channel: Y = A^T m A with A^T = [1 1 1 0; 0 1 -1 -1]. First the
// 2x2 outputs of every tile of the block in one run over the tiles (contiguous reads of the 16
// GEMM results, `stream` floats apart, and contiguous writes, so it vectorises however few tiles
// a row has), then the activation on those runs, then per tile row interleaved into two output
// rows. (The activation after the interleave read back a row just written in scalar stores, a
// store-forwarding stall per vector: a quarter of the transform's time on 7x7 planes.)
KINGLET_SIMD_AVX2_ONLY void TransformOutput2(const reference::ConvParams& p, const Geometry& g, TileRows rows,
                                             const float* __restrict in_m, int64_t stream, float b,
                                             const reference::FusedActivationParams& activation,
                                             float* __restrict buffer, float* plane) {
  const int64_t out_h = p.out_spatial[0] - 2 * rows.begin, out_w = p.out_spatial[1];
  const int64_t tiles_h = rows.end - rows.begin, tiles_w = g.tiles_w, tiles = tiles_h * tiles_w;
  plane += 2 * rows.begin * out_w;  // the block's first output row
  float* y00 = buffer;              // top-left output of each tile of the block, then top-right, ...
  float* y01 = y00 + tiles;
  float* y10 = y01 + tiles;
  float* y11 = y10 + tiles;
  for (int64_t t = 0; t < tiles; ++t) {
    float s[2][4];  // A^T m
    for (int col = 0; col < 4; ++col) {
      const float m0 = in_m[(0 * 4 + col) * stream + t], m1 = in_m[(1 * 4 + col) * stream + t];
      const float m2 = in_m[(2 * 4 + col) * stream + t], m3 = in_m[(3 * 4 + col) * stream + t];
      s[0][col] = m0 + m1 + m2;
      s[1][col] = m1 - m2 - m3;
    }
    y00[t] = s[0][0] + s[0][1] + s[0][2] + b;
    y01[t] = s[0][1] - s[0][2] - s[0][3] + b;
    y10[t] = s[1][0] + s[1][1] + s[1][2] + b;
    y11[t] = s[1][1] - s[1][2] - s[1][3] + b;
  }
  ApplyActivationInline(activation, buffer, 4 * tiles);
  for (int64_t th = 0; th < tiles_h; ++th) {
    for (int r = 0; r < 2 && 2 * th + r < out_h; ++r) {
      const float* left = (r == 0 ? y00 : y10) + th * tiles_w;
      const float* right = (r == 0 ? y01 : y11) + th * tiles_w;
      float* y_row = plane + (2 * th + r) * out_w;
      const int64_t pairs = out_w / 2;
      for (int64_t tw = 0; tw < pairs; ++tw) {
        y_row[2 * tw] = left[tw];
        y_row[2 * tw + 1] = right[tw];
      }
      if (out_w % 2 != 0) y_row[out_w - 1] = left[pairs];
    }
  }
}

// ---- F(4x4, 3x3): 6x6 input tiles every 4 pixels, 36 points.

constexpr int kOut = 4;
constexpr int kIn = 6;

// G (6 x 3): the filter transform's interpolation at 0, +-1, +-2 and infinity.
constexpr double kG[kIn][3] = {{1.0 / 4, 0, 0},
                               {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                               {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                               {1.0 / 24, 1.0 / 12, 1.0 / 6},
                               {1.0 / 24, -1.0 / 12, 1.0 / 6},
                               {0, 0, 1}};

// U = G g G^T for one 3x3 filter g, in double so the weights carry no extra rounding.
void WeightTransform4(const float g[9], float* u) {
  double t[kIn][3];  // G g
  for (int r = 0; r < kIn; ++r) {
    for (int c = 0; c < 3; ++c) t[r][c] = kG[r][0] * g[c] + kG[r][1] * g[3 + c] + kG[r][2] * g[6 + c];
  }
  for (int r = 0; r < kIn; ++r) {
    for (int c = 0; c < kIn; ++c) {
      u[r * kIn + c] = static_cast<float>(t[r][0] * kG[c][0] + t[r][1] * kG[c][1] + t[r][2] * kG[c][2]);
    }
  }
}

// B^T (6 x 6) applied to six values d0..d5, the same along columns and along rows:
// [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1].
#define KINGLET_BT(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5) \
  {                                                                \
    o0 = 4.0f * (d0)-5.0f * (d2) + (d4);                           \
    o1 = (d3) + (d4)-4.0f * ((d1) + (d2));                         \
    o2 = (d4) - (d3) + 4.0f * ((d1) - (d2));                       \
    o3 = (d4) - (d2) + 2.0f * ((d3) - (d1));                       \
    o4 = (d4) - (d2)-2.0f * ((d3) - (d1));                         \
    o5 = 4.0f * (d1)-5.0f * (d3) + (d5);                           \
  }

// B^T down six padded rows of a tile row (restrict pointers, as ColumnTransform2's).
KINGLET_SIMD_AVX2_ONLY inline void ColumnTransform4(const float* __restrict r0, const float* __restrict r1,
                                                    const float* __restrict r2, const float* __restrict r3,
                                                    const float* __restrict r4, const float* __restrict r5,
                                                    int64_t n, float* __restrict t0, float* __restrict t1,
                                                    float* __restrict t2, float* __restrict t3,
                                                    float* __restrict t4, float* __restrict t5) {
  for (int64_t x = 0; x < n; ++x) {
    KINGLET_BT(r0[x], r1[x], r2[x], r3[x], r4[x], r5[x], t0[x], t1[x], t2[x], t3[x], t4[x], t5[x])
  }
}

// Input transform of one channel: copy it into its zero border, then 6x6 tiles every 4 pixels,
// V = B^T d B. Per tile row, B^T runs down whole padded rows and B along them; both loops stream
// contiguous (or stride-4) memory, so the compiler vectorises them, and each of the 36 outputs
// (`stream` floats apart) is a contiguous run across the row's tiles.
KINGLET_SIMD_AVX2_ONLY void TransformInput4(const reference::ConvParams& p, const Geometry& g, TileRows rows,
                                            const float* plane, float* __restrict buffer,
                                            float* __restrict out_c, int64_t stream) {
  const int64_t tiles_w = g.tiles_w, padded_cols = g.padded_cols;
  float* padded = buffer;
  float* columns = buffer + WindowRows(g) * padded_cols;  // 6 rows: B^T applied down the tile row
  FillWindow(p, g, rows, plane, padded);
  float* t[kIn];
  for (int k = 0; k < kIn; ++k) t[k] = columns + k * padded_cols;
  for (int64_t th = 0; th < rows.end - rows.begin; ++th) {
    const float* r = padded + kOut * th * padded_cols;
    const int64_t w = padded_cols;
    ColumnTransform4(r, r + w, r + 2 * w, r + 3 * w, r + 4 * w, r + 5 * w, padded_cols, t[0], t[1], t[2],
                     t[3], t[4], t[5]);
    for (int row = 0; row < kIn; ++row) {
      const float* d = t[row];
      float* v = out_c + row * kIn * stream + th * tiles_w;
      for (int64_t tw = 0; tw < tiles_w; ++tw) {
        const float* e = d + kOut * tw;
        KINGLET_BT(e[0], e[1], e[2], e[3], e[4], e[5], v[tw], v[stream + tw], v[2 * stream + tw],
                   v[3 * stream + tw], v[4 * stream + tw], v[5 * stream + tw])
      }
    }
  }
}

// A^T (4 x 6) applied to six values m0..m5: [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0;
// 0 1 -1 8 -8 1].
#define KINGLET_AT(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3) \
  {                                                        \
    const float sum12 = (m1) + (m2), diff12 = (m1) - (m2); \
    const float sum34 = (m3) + (m4), diff34 = (m3) - (m4); \
    o0 = (m0) + sum12 + sum34;                             \
    o1 = diff12 + 2.0f * diff34;                           \
    o2 = sum12 + 4.0f * sum34;                             \
    o3 = diff12 + 8.0f * diff34 + (m5);                    \
  }

// Output transform of one output channel: Y = A^T m A — the 4x4 outputs of every tile of the
// block first, in one run over the tiles (contiguous reads of the 36 GEMM results, `stream`
// floats apart, contiguous writes, so it vectorises), then the activation on those runs, then per
// tile row interleaved into four output rows.
KINGLET_SIMD_AVX2_ONLY void TransformOutput4(const reference::ConvParams& p, const Geometry& g, TileRows rows,
                                             const float* __restrict in_m, int64_t stream, float b,
                                             const reference::FusedActivationParams& activation,
                                             float* __restrict buffer, float* plane) {
  const int64_t out_h = p.out_spatial[0] - kOut * rows.begin, out_w = p.out_spatial[1];
  const int64_t tiles_h = rows.end - rows.begin, tiles_w = g.tiles_w, tiles = tiles_h * tiles_w;
  plane += kOut * rows.begin * out_w;  // the block's first output row
  // y[i * 4 + j][t]: output (i, j) of tile t of the block.
  float* y[kOut * kOut];
  for (int i = 0; i < kOut * kOut; ++i) y[i] = buffer + i * tiles;
  for (int64_t t = 0; t < tiles; ++t) {
    float s[kOut][kIn];  // A^T m: down the columns
    for (int c = 0; c < kIn; ++c) {
      const float* m = in_m + c * stream + t;
      KINGLET_AT(m[0], m[kIn * stream], m[2 * kIn * stream], m[3 * kIn * stream], m[4 * kIn * stream],
                 m[5 * kIn * stream], s[0][c], s[1][c], s[2][c], s[3][c])
    }
    for (int i = 0; i < kOut; ++i) {
      float o0, o1, o2, o3;
      KINGLET_AT(s[i][0], s[i][1], s[i][2], s[i][3], s[i][4], s[i][5], o0, o1, o2, o3)
      y[i * kOut + 0][t] = o0 + b;
      y[i * kOut + 1][t] = o1 + b;
      y[i * kOut + 2][t] = o2 + b;
      y[i * kOut + 3][t] = o3 + b;
    }
  }
  ApplyActivationInline(activation, buffer, kOut * kOut * tiles);
  for (int64_t th = 0; th < tiles_h; ++th) {
    for (int i = 0; i < kOut && kOut * th + i < out_h; ++i) {
      float* y_row = plane + (kOut * th + i) * out_w;
      const int64_t whole = out_w / kOut, first = th * tiles_w;
      for (int64_t tw = 0; tw < whole; ++tw) {
        for (int j = 0; j < kOut; ++j) y_row[kOut * tw + j] = y[i * kOut + j][first + tw];
      }
      for (int64_t x = whole * kOut; x < out_w; ++x) y_row[x] = y[i * kOut + x % kOut][first + whole];
    }
  }
}

#undef KINGLET_BT
#undef KINGLET_AT

}  // namespace

bool WinogradConv3x3Applies(const reference::ConvParams& p) {
  return p.rank() == 2 && p.group == 1 && p.kernel[0] == 3 && p.kernel[1] == 3 && p.strides[0] == 1 &&
         p.strides[1] == 1 && p.dilations[0] == 1 && p.dilations[1] == 1 && SimdKernelsAvailable();
}

bool WinogradConv3x3Pays(const reference::ConvParams& p) {
  return WinogradConv3x3Applies(p) && p.in_channels >= kWinogradMinChannels &&
         p.out_channels >= kWinogradMinChannels;
}

// F(4x4)'s transforms run along a tile row; below this many tiles per row (planes under 25 wide)
// their loops hardly vectorise and cost more than the GEMM work they save (SqueezeNet's 13x13
// fire modules ran 10% slower whole-network with F(4x4)).
constexpr int64_t kMinTilesAlongRowF4 = 7;

int ChooseWinogradTile(const SgemmKernel& kernel, const reference::ConvParams& p) {
  // Time in units of one GEMM multiply-add, per transform point: the GEMM over tiles rounded up
  // to whole NR-wide panels (a 7x7 plane is 4 tiles of 4x4: a quarter of a 16-wide panel), plus
  // transforming C inputs and M outputs per tile. Measured on ResNet-18 and SqueezeNet (AVX2), a
  // transformed element costs about 16 GEMM multiply-adds for F(2x2) and 48 for F(4x4), whose
  // transforms have three times the arithmetic: F(4x4) wins where C and M are large enough for
  // the GEMM to dominate.
  auto cost = [&](int m, double per_element) {
    const Geometry g = GeometryOf(p, m);
    const int64_t tiles = g.tiles_h * g.tiles_w;
    const double panels = static_cast<double>((tiles + kernel.nr - 1) / kernel.nr * kernel.nr);
    const double gemm = panels * static_cast<double>(p.in_channels) * static_cast<double>(p.out_channels);
    const double transforms =
        per_element * static_cast<double>(tiles) * static_cast<double>(p.in_channels + p.out_channels);
    return g.points * (gemm + transforms);
  };
  if (GeometryOf(p, 4).tiles_w < kMinTilesAlongRowF4) return 2;
  return cost(4, 48.0) < cost(2, 16.0) ? 4 : 2;
}

WinogradWeights TransformWinogradWeights(const SgemmKernel& kernel, const reference::ConvParams& p,
                                         const float* w, int tile) {
  const int64_t m_count = p.out_channels, c_count = p.in_channels;
  const Geometry geometry = GeometryOf(p, tile);
  const int points = geometry.points;
  // u[xi][m][c], then each xi's M x C matrix packed as the GEMM's A operand.
  std::vector<float> u(static_cast<size_t>(points * m_count * c_count));
  float point[36];
  for (int64_t m = 0; m < m_count; ++m) {
    for (int64_t c = 0; c < c_count; ++c) {
      if (tile == 4) {
        WeightTransform4(w + (m * c_count + c) * 9, point);
      } else {
        WeightTransform2(w + (m * c_count + c) * 9, point);
      }
      for (int xi = 0; xi < points; ++xi) u[(xi * m_count + m) * c_count + c] = point[xi];
    }
  }
  WinogradWeights weights;
  weights.tile = tile;
  for (int xi = 0; xi < points; ++xi) {
    weights.transformed.push_back(PackSgemmA(kernel, m_count, c_count, 1.0f,
                                             MatrixView{u.data() + xi * m_count * c_count, c_count, 1}));
  }
  return weights;
}

size_t WinogradConv3x3ScratchBytes(const SgemmKernel& kernel, const reference::ConvParams& p,
                                   const WinogradWeights& weights, int threads) {
  const Geometry g = GeometryOf(p, weights.tile, weights.max_block_bytes);
  const size_t tiles = static_cast<size_t>(g.block_tiles);
  const size_t v_bytes = Aligned(g.points * p.in_channels * tiles * sizeof(float));
  const size_t m_bytes = Aligned(g.points * p.out_channels * tiles * sizeof(float));
  static const PackedMatrix kPackedMarker;
  const size_t gemm_bytes =
      Aligned(SgemmThreadScratchBytes(kernel, PointProblem(p, g.block_tiles, &kPackedMarker), 1));
  return v_bytes + m_bytes + (gemm_bytes + ThreadBufferBytes(g)) * static_cast<size_t>(threads);
}

void WinogradConv3x3(const SgemmKernel& kernel, const reference::ConvParams& p,
                     const WinogradWeights& weights, const float* x, const float* bias,
                     const reference::FusedActivationParams& activation, float* y, runtime::ThreadPool* pool,
                     void* scratch) {
  const Geometry g = GeometryOf(p, weights.tile, weights.max_block_bytes);
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  const int64_t c_count = p.in_channels, m_count = p.out_channels;
  float* v = static_cast<float*>(scratch);  // v[xi][c][tile of the block]
  float* products =
      v + Aligned(g.points * c_count * g.block_tiles * sizeof(float)) / sizeof(float);  // [xi][m][tile]
  char* gemm_scratch =
      reinterpret_cast<char*>(products) + Aligned(g.points * m_count * g.block_tiles * sizeof(float));
  const size_t gemm_bytes =
      Aligned(SgemmThreadScratchBytes(kernel, PointProblem(p, g.block_tiles, &weights.transformed[0]), 1));
  char* thread_buffers = gemm_scratch + gemm_bytes * (pool != nullptr ? pool->size() : 1);
  auto thread_buffer = [&](int slot) {
    return reinterpret_cast<float*>(thread_buffers + ThreadBufferBytes(g) * slot);
  };

  for (int64_t n = 0; n < p.batch; ++n) {
    const float* x_n = x + n * c_count * in_h * in_w;
    float* y_n = y + n * m_count * out_h * out_w;
    for (int64_t first = 0; first < g.tiles_h; first += g.block_rows) {
      const TileRows rows{first, std::min(g.tiles_h, first + g.block_rows)};
      const int64_t tiles = (rows.end - rows.begin) * g.tiles_w;
      // Input transform, one channel per task.
      runtime::ParallelFor(pool, c_count, [&](int64_t c, int slot) {
        const float* plane = x_n + c * in_h * in_w;
        if (g.m == 4) {
          TransformInput4(p, g, rows, plane, thread_buffer(slot), v + c * tiles, c_count * tiles);
        } else {
          TransformInput2(p, g, rows, plane, thread_buffer(slot), v + c * tiles, c_count * tiles);
        }
      });
      // One GEMM per transform point and task: products[xi] (M x tiles) = U[xi] (M x C) * v[xi]
      // (C x tiles).
      runtime::ParallelFor(pool, g.points, [&](int64_t xi, int slot) {
        SgemmProblem pr = PointProblem(p, tiles, &weights.transformed[xi]);
        pr.b = MatrixView{v + xi * c_count * tiles, tiles, 1};
        pr.c = products + xi * m_count * tiles;
        pr.ldc = tiles;
        SgemmRun(kernel, pr, nullptr, gemm_scratch + gemm_bytes * slot);
      });
      // Output transform, one output channel per task, with bias and activation.
      runtime::ParallelFor(pool, m_count, [&](int64_t m, int slot) {
        const float b = bias != nullptr ? bias[m] : 0.0f;
        float* plane = y_n + m * out_h * out_w;
        if (g.m == 4) {
          TransformOutput4(p, g, rows, products + m * tiles, m_count * tiles, b, activation,
                           thread_buffer(slot), plane);
        } else {
          TransformOutput2(p, g, rows, products + m * tiles, m_count * tiles, b, activation,
                           thread_buffer(slot), plane);
        }
      });
    }
  }
}

}  // namespace kinglet::kernels
