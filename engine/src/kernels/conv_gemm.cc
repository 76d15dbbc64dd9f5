#include "kernels/conv_gemm.h"

#include <algorithm>
#include <cstring>

#include "kernels/simd_clones.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

size_t RoundUp64(size_t bytes) { return (bytes + 63) / 64 * 64; }

enum class BSource { kInput, kPanelsFromInput, kColumnMatrix };

// A 2-D conv's im2col matrix up to this size is built whole (one copy per output row run) and
// read in place by the GEMM; past it, B's panels are gathered straight from X, so no large
// buffer is needed. The per-panel gather pays per 8-32 columns what the whole matrix pays per
// output row: LeNet-5's convs spent a quarter of their time in it.
constexpr size_t kWholeColumnMatrixBytes = size_t{256} << 10;

// Floats between rows of the column matrix: the row length, or a little more where that is a
// multiple of 256 bytes, which the GEMM would pack rather than read in place.
int64_t ColumnStride(const reference::ConvParams& p) {
  const int64_t out_size = Product(p.out_spatial);
  return p.rank() == 2 && out_size % 64 == 0 ? out_size + 16 : out_size;
}

size_t ColumnMatrixBytes(const reference::ConvParams& p) {
  return RoundUp64(static_cast<size_t>(p.in_channels / p.group * Product(p.kernel) * ColumnStride(p)) *
                   sizeof(float));
}

BSource SourceOf(const reference::ConvParams& p) {
  if (reference::IsPointwise(p)) return BSource::kInput;
  if (p.rank() != 2 || ColumnMatrixBytes(p) <= kWholeColumnMatrixBytes) return BSource::kColumnMatrix;
  return BSource::kPanelsFromInput;
}

size_t ColumnBytes(const reference::ConvParams& p) {
  return SourceOf(p) == BSource::kColumnMatrix ? ColumnMatrixBytes(p) : 0;
}

// The im2col matrix of one group of a 2-D conv, produced panel by panel: row l = (c, kh, kw),
// column j = (oh, ow).
struct Im2ColPanels {
  const reference::ConvParams* p;
  const float* x;  // the group's first input channel
};

// A run of a panel's columns that lie in one output row: `count` outputs from (oh, ow0) on,
// landing at column `dst` of the panel.
struct RowSegment {
  int64_t oh, ow0, count, dst;
};

// Copies count floats in whole 8-float blocks, the last one overlapping its predecessor: a
// small conv's rows (8-24 floats: LeNet-5) then cost one to three vector moves each, where a
// counted loop spends more on its prologue and remainder than on the copy.
inline void CopyShortRun(const float* src, int64_t count, float* dst) {
  constexpr int64_t kBlock = 8;
  if (count < kBlock) {
    for (int64_t j = 0; j < count; ++j) dst[j] = src[j];
    return;
  }
  for (int64_t j = 0; j + kBlock <= count; j += kBlock) std::memcpy(dst + j, src + j, sizeof(float) * kBlock);
  if (count % kBlock != 0) {
    std::memcpy(dst + count - kBlock, src + count - kBlock, sizeof(float) * kBlock);
  }
}

// Writes `count` values x_row[iw0 + j * stride] (0 outside [0, in_w)) to dst[0..count). Runs
// are short (a panel is 8-32 columns wide), so the common case — the whole run inside the row —
// has no division and no library call.
inline void GatherRow(const float* x_row, int64_t in_w, int64_t iw0, int64_t stride, int64_t count, float* dst) {
  if (iw0 >= 0 && iw0 + (count - 1) * stride < in_w) {
    const float* src = x_row + iw0;
    if (stride == 1) {
      CopyShortRun(src, count, dst);
    } else {
      for (int64_t j = 0; j < count; ++j) dst[j] = src[j * stride];
    }
    return;
  }
  int64_t lo = iw0 >= 0 ? 0 : (-iw0 + stride - 1) / stride;
  int64_t hi = iw0 >= in_w ? 0 : std::min(count, (in_w - iw0 + stride - 1) / stride);
  lo = std::min(lo, count);
  hi = std::max(hi, lo);
  std::fill(dst, dst + lo, 0.0f);
  if (hi == lo) {
    // Nothing inside: form no pointer into (or before) the row.
  } else if (stride == 1) {
    std::copy(x_row + iw0 + lo, x_row + iw0 + hi, dst + lo);
  } else {
    for (int64_t j = lo; j < hi; ++j) dst[j] = x_row[iw0 + j * stride];
  }
  std::fill(dst + hi, dst + count, 0.0f);
}

KINGLET_SIMD_CLONES void PackIm2ColPanels(const void* context, int64_t l0, int64_t kc, int64_t j0, int64_t cols, int nr,
                                          float* dst) {
  const auto& src = *static_cast<const Im2ColPanels*>(context);
  const reference::ConvParams& p = *src.p;
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1], out_w = p.out_spatial[1];
  const int64_t k_h = p.kernel[0], k_w = p.kernel[1];
  const int64_t plane = in_h * in_w;
  RowSegment segments[kMaxSgemmTile + 1];
  for (int64_t p0 = 0; p0 < cols; p0 += nr) {
    const int64_t live = std::min<int64_t>(nr, cols - p0);
    // The panel's columns split at output-row boundaries; within a segment consecutive columns
    // read consecutive (stride 1) or evenly spaced input columns, so each is a copy or a gather.
    int segment_count = 0;
    for (int64_t j = 0; j < live;) {
      const int64_t o = j0 + p0 + j;
      const int64_t ow = o % out_w;
      const int64_t count = std::min(live - j, out_w - ow);
      segments[segment_count++] = RowSegment{o / out_w, ow, count, j};
      j += count;
    }
    int64_t c = l0 / (k_h * k_w), kh = l0 / k_w % k_h, kw = l0 % k_w;
    for (int64_t l = 0; l < kc; ++l) {
      const float* x_c = src.x + c * plane;
      const int64_t dh = kh * p.dilations[0] - p.pads_begin[0], dw = kw * p.dilations[1] - p.pads_begin[1];
      for (int s = 0; s < segment_count; ++s) {
        const RowSegment& seg = segments[s];
        const int64_t ih = seg.oh * p.strides[0] + dh;
        if (ih < 0 || ih >= in_h) {
          std::fill_n(dst + seg.dst, seg.count, 0.0f);
        } else {
          GatherRow(x_c + ih * in_w, in_w, seg.ow0 * p.strides[1] + dw, p.strides[1], seg.count, dst + seg.dst);
        }
      }
      std::fill(dst + live, dst + nr, 0.0f);
      dst += nr;
      if (++kw == k_w) {
        kw = 0;
        if (++kh == k_h) {
          kh = 0;
          ++c;
        }
      }
    }
  }
}

// The first input channel of group g of image n.
const float* GroupInput(const reference::ConvParams& p, const ConvGemmArgs& args, int64_t n, int64_t g) {
  return args.x + (n * p.in_channels + g * p.in_channels / p.group) * Product(p.in_spatial);
}

// Writes the column matrix of the group whose first input channel is x_g into `columns` (when
// the conv uses one), one input channel per task on `pool` (null: on the calling thread).
void FillColumns(const reference::ConvParams& p, const float* x_g, float* columns,
                 runtime::ThreadPool* pool) {
  if (SourceOf(p) != BSource::kColumnMatrix) return;
  const int64_t cg = p.in_channels / p.group;
  if (p.rank() != 2) {
    reference::Im2Col(p, x_g, cg, columns);
    return;
  }
  const int64_t plane = Product(p.in_spatial), rows = Product(p.kernel), stride = ColumnStride(p);
  runtime::ParallelFor(pool, cg, [&](int64_t c, int) {
    Im2Col2d(p, x_g + c * plane, 1, stride, columns + c * rows * stride);
  });
}

// The GEMM of group g of image n; `b_storage` holds its column matrix when the conv uses one
// (filled by FillColumns).
SgemmProblem GroupProblem(const reference::ConvParams& p, const ConvGemmArgs& args, int64_t n, int64_t g,
                          Im2ColPanels* panels, float* b_storage) {
  const int64_t cg = p.in_channels / p.group;
  const int64_t mg = p.out_channels / p.group;
  const int64_t out_size = Product(p.out_spatial);
  const int64_t patch = cg * Product(p.kernel);
  const float* x_g = GroupInput(p, args, n, g);
  SgemmProblem pr;
  pr.m = mg;
  pr.n = out_size;
  pr.k = patch;
  if (args.packed != nullptr) {
    pr.packed_a = &args.packed->groups[g];
  } else {
    pr.a = MatrixView{args.w + g * mg * patch, patch, 1};
  }
  switch (SourceOf(p)) {
    case BSource::kInput:
      pr.b = MatrixView{x_g, out_size, 1};
      break;
    case BSource::kPanelsFromInput:
      *panels = Im2ColPanels{&p, x_g};
      pr.b_packer = BPanelPacker{PackIm2ColPanels, panels};
      break;
    case BSource::kColumnMatrix:
      pr.b = MatrixView{b_storage, ColumnStride(p), 1};
      break;
  }
  pr.c = args.y + (n * p.out_channels + g * mg) * out_size;
  pr.ldc = out_size;
  pr.epilogue.row_bias = args.bias != nullptr ? args.bias + g * mg : nullptr;
  pr.epilogue.activation = args.activation;
  return pr;
}

// Grouped convs run one group per task (each group's GEMM is small); a single group splits its
// GEMM across the threads instead.
bool ParallelOverGroups(const reference::ConvParams& p, int threads) { return p.group > 1 && threads > 1; }

size_t GemmThreadBytes(const SgemmKernel& kernel, const reference::ConvParams& p, bool packed_weights,
                       int threads) {
  SgemmProblem pr;
  pr.m = p.out_channels / p.group;
  pr.n = Product(p.out_spatial);
  pr.k = p.in_channels / p.group * Product(p.kernel);
  static const PackedMatrix kPackedMarker;
  if (packed_weights) pr.packed_a = &kPackedMarker;
  if (SourceOf(p) == BSource::kPanelsFromInput) pr.b_packer.pack = PackIm2ColPanels;
  return SgemmThreadScratchBytes(kernel, pr, ParallelOverGroups(p, threads) ? 1 : threads);
}

}  // namespace

KINGLET_SIMD_CLONES void Im2Col2d(const reference::ConvParams& p, const float* x, int64_t channels,
                                  int64_t row_stride, float* col) {
  // Geometry in locals: the stores through `col` could alias p's vectors, which would make the
  // compiler reload every field per output row.
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  const int64_t k_h = p.kernel[0], k_w = p.kernel[1];
  const int64_t stride_h = p.strides[0], stride_w = p.strides[1];
  const int64_t dilation_h = p.dilations[0], dilation_w = p.dilations[1];
  const int64_t pad_h = p.pads_begin[0], pad_w = p.pads_begin[1];
  for (int64_t c = 0; c < channels; ++c) {
    const float* x_c = x + c * in_h * in_w;
    for (int64_t kh = 0; kh < k_h; ++kh) {
      const int64_t dh = kh * dilation_h - pad_h;
      for (int64_t kw = 0; kw < k_w; ++kw) {
        const int64_t dw = kw * dilation_w - pad_w;
        const bool row_inside = stride_w == 1 && dw >= 0 && dw + out_w <= in_w;
        float* out = col;
        for (int64_t oh = 0; oh < out_h; ++oh, out += out_w) {
          const int64_t ih = oh * stride_h + dh;
          if (ih < 0 || ih >= in_h) {
            std::fill_n(out, out_w, 0.0f);
          } else if (row_inside) {
            CopyShortRun(x_c + ih * in_w + dw, out_w, out);
          } else {
            GatherRow(x_c + ih * in_w, in_w, dw, stride_w, out_w, out);
          }
        }
        col += row_stride;
      }
    }
  }
}

ConvGemmWeights PackConvGemmWeights(const SgemmKernel& kernel, const reference::ConvParams& p, const float* w) {
  const int64_t mg = p.out_channels / p.group;
  const int64_t patch = p.in_channels / p.group * Product(p.kernel);
  ConvGemmWeights packed;
  for (int64_t g = 0; g < p.group; ++g) {
    packed.groups.push_back(PackSgemmA(kernel, mg, patch, 1.0f, MatrixView{w + g * mg * patch, patch, 1}));
  }
  return packed;
}

size_t ConvGemmScratchBytes(const SgemmKernel& kernel, const reference::ConvParams& p, bool packed_weights,
                            int threads) {
  const size_t per_thread = RoundUp64(GemmThreadBytes(kernel, p, packed_weights, threads));
  const size_t columns = ColumnBytes(p) * (ParallelOverGroups(p, threads) ? threads : 1);
  return columns + per_thread * threads;
}

void ConvGemm(const SgemmKernel& kernel, const reference::ConvParams& p, const ConvGemmArgs& args,
              runtime::ThreadPool* pool, void* scratch) {
  const int threads = pool != nullptr ? pool->size() : 1;
  const bool per_group = ParallelOverGroups(p, threads);
  const size_t columns = ColumnBytes(p);
  char* gemm_scratch = static_cast<char*>(scratch) + columns * (per_group ? threads : 1);
  const size_t gemm_thread_bytes = RoundUp64(GemmThreadBytes(kernel, p, args.packed != nullptr, threads));
  auto column_buffer = [&](int slot) {
    return columns == 0 ? nullptr : reinterpret_cast<float*>(static_cast<char*>(scratch) + columns * slot);
  };

  if (per_group) {
    pool->ParallelFor(p.batch * p.group, [&](int64_t task, int slot) {
      const int64_t n = task / p.group, g = task % p.group;
      FillColumns(p, GroupInput(p, args, n, g), column_buffer(slot), nullptr);
      Im2ColPanels panels{};
      const SgemmProblem pr = GroupProblem(p, args, n, g, &panels, column_buffer(slot));
      SgemmRun(kernel, pr, nullptr, gemm_scratch + gemm_thread_bytes * slot);
    });
    return;
  }
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t g = 0; g < p.group; ++g) {
      FillColumns(p, GroupInput(p, args, n, g), column_buffer(0), pool);
      Im2ColPanels panels{};
      const SgemmProblem pr = GroupProblem(p, args, n, g, &panels, column_buffer(0));
      SgemmRun(kernel, pr, pool, gemm_scratch);
    }
  }
}

}  // namespace kinglet::kernels
