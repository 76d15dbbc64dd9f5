#include "kernels/conv_gemm.h"

#include <algorithm>

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

BSource SourceOf(const reference::ConvParams& p) {
  if (reference::IsPointwise(p)) return BSource::kInput;
  return p.rank() == 2 ? BSource::kPanelsFromInput : BSource::kColumnMatrix;
}

size_t ColumnBytes(const reference::ConvParams& p) {
  if (SourceOf(p) != BSource::kColumnMatrix) return 0;
  return RoundUp64(static_cast<size_t>(p.in_channels / p.group * Product(p.kernel) * Product(p.out_spatial)) *
                   sizeof(float));
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

// Writes `count` values x_row[iw0 + j * stride] (0 outside [0, in_w)) to dst[0..count). Runs
// are short (a panel is 8-32 columns wide), so the common case — the whole run inside the row —
// is a plain loop with no division and no library call.
inline void GatherRow(const float* x_row, int64_t in_w, int64_t iw0, int64_t stride, int64_t count, float* dst) {
  if (iw0 >= 0 && iw0 + (count - 1) * stride < in_w) {
    const float* src = x_row + iw0;
    if (stride == 1) {
      for (int64_t j = 0; j < count; ++j) dst[j] = src[j];
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

// The GEMM of group g of image n; `b_storage` holds the column matrix when one is needed.
SgemmProblem GroupProblem(const reference::ConvParams& p, const ConvGemmArgs& args, int64_t n, int64_t g,
                          Im2ColPanels* panels, float* b_storage) {
  const int64_t cg = p.in_channels / p.group;
  const int64_t mg = p.out_channels / p.group;
  const int64_t out_size = Product(p.out_spatial);
  const int64_t patch = cg * Product(p.kernel);
  const float* x_g = args.x + (n * p.in_channels + g * cg) * Product(p.in_spatial);
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
      if (b_storage != nullptr) reference::Im2Col(p, x_g, cg, b_storage);
      pr.b = MatrixView{b_storage, out_size, 1};
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
                                  float* col) {
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1];
  const int64_t out_h = p.out_spatial[0], out_w = p.out_spatial[1];
  for (int64_t c = 0; c < channels; ++c) {
    const float* x_c = x + c * in_h * in_w;
    for (int64_t kh = 0; kh < p.kernel[0]; ++kh) {
      for (int64_t kw = 0; kw < p.kernel[1]; ++kw) {
        const int64_t dw = kw * p.dilations[1] - p.pads_begin[1];
        for (int64_t oh = 0; oh < out_h; ++oh) {
          const int64_t ih = oh * p.strides[0] - p.pads_begin[0] + kh * p.dilations[0];
          if (ih < 0 || ih >= in_h) {
            std::fill_n(col, out_w, 0.0f);
          } else {
            GatherRow(x_c + ih * in_w, in_w, dw, p.strides[1], out_w, col);
          }
          col += out_w;
        }
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
      Im2ColPanels panels{};
      const SgemmProblem pr = GroupProblem(p, args, task / p.group, task % p.group, &panels, column_buffer(slot));
      SgemmRun(kernel, pr, nullptr, gemm_scratch + gemm_thread_bytes * slot);
    });
    return;
  }
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t g = 0; g < p.group; ++g) {
      Im2ColPanels panels{};
      const SgemmProblem pr = GroupProblem(p, args, n, g, &panels, column_buffer(0));
      SgemmRun(kernel, pr, pool, gemm_scratch);
    }
  }
}

}  // namespace kinglet::kernels
