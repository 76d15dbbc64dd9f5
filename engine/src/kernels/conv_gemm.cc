#include "kernels/conv_gemm.h"

#include <algorithm>

#include "kernels/copy_run.h"
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

// A conv's output is produced in bands of whole output rows: a 2-D conv's im2col matrix is
// built one band at a time, at most this big (so it stays in L2 while the GEMM reads it in
// place), and each band is one GEMM over its columns. Building the whole matrix would cost
// megabytes for a network's first layer (224x224 input); gathering B's panels straight from X
// inside the GEMM pays per 16-column panel what a band pays per output row: SqueezeNet's and
// ResNet-18's first convs ran 20-30% slower that way.
constexpr size_t kColumnBandBytes = size_t{256} << 10;

int64_t Patch(const reference::ConvParams& p) { return p.in_channels / p.group * Product(p.kernel); }

// Output rows and the columns per output row, as bands see them: a 2-D conv's rows, or one row
// holding every output position (a pointwise conv reads X in place and needs no bands; other
// ranks build the whole column matrix with the reference im2col).
int64_t OutRows(const reference::ConvParams& p) {
  return p.rank() == 2 && !reference::IsPointwise(p) ? p.out_spatial[0] : 1;
}
int64_t RowWidth(const reference::ConvParams& p) { return Product(p.out_spatial) / OutRows(p); }

int64_t BandRows(const reference::ConvParams& p) {
  const size_t row_bytes = static_cast<size_t>(Patch(p) * RowWidth(p)) * sizeof(float);
  return std::clamp<int64_t>(static_cast<int64_t>(kColumnBandBytes / std::max<size_t>(row_bytes, 1)), 1,
                             OutRows(p));
}

// Floats between rows of a band's column matrix: the band's width, or a little more where that
// is a multiple of 256 bytes, which the GEMM would pack rather than read in place.
int64_t BandStride(const reference::ConvParams& p) {
  const int64_t width = BandRows(p) * RowWidth(p);
  return p.rank() == 2 && width % 64 == 0 ? width + 16 : width;
}

size_t BandBytes(const reference::ConvParams& p) {
  if (reference::IsPointwise(p)) return 0;
  return RoundUp64(static_cast<size_t>(Patch(p) * BandStride(p)) * sizeof(float));
}

// dst[j] = src[j * stride] for j in [0, count): a copy for stride 1, and for stride 2 (first
// layers, downsampling convs) a loop of its own that vectorises.
inline void StridedRun(const float* src, int64_t stride, int64_t count, float* dst) {
  if (stride == 1) {
    CopyShortRun(src, count, dst);
  } else if (stride == 2) {
    for (int64_t j = 0; j < count; ++j) dst[j] = src[2 * j];
  } else {
    for (int64_t j = 0; j < count; ++j) dst[j] = src[j * stride];
  }
}

// Writes `count` values x_row[iw0 + j * stride] (0 outside [0, in_w)) to dst[0..count): one
// output row of an im2col row. The common case — the whole run inside the input row — has no
// division; a padded row's run is its zeros and the same strided copy of the inside (gathered
// element by element, the kw = 0 rows of a padded stride-2 conv cost MobileNetV2's first conv
// about 80 of its 480 us). Always inlined, so Im2ColRows's AVX2 clone vectorises the stride-2
// loop 8 wide rather than calling the SSE2 copy: a 224x224x3 first conv's im2col 65-80 -> 52-54 us
// (x86-64 +2.5 KB).
[[gnu::always_inline]] inline void GatherRow(const float* x_row, int64_t in_w, int64_t iw0, int64_t stride,
                                             int64_t count, float* dst) {
  if (iw0 >= 0 && iw0 + (count - 1) * stride < in_w) return StridedRun(x_row + iw0, stride, count, dst);
  int64_t lo = iw0 >= 0 ? 0 : (-iw0 + stride - 1) / stride;
  int64_t hi = iw0 >= in_w ? 0 : std::min(count, (in_w - iw0 + stride - 1) / stride);
  lo = std::min(lo, count);
  hi = std::max(hi, lo);
  std::fill(dst, dst + lo, 0.0f);
  // With nothing inside, form no pointer into (or before) the row.
  if (hi > lo) StridedRun(x_row + iw0 + lo * stride, stride, hi - lo, dst + lo);
  std::fill(dst + hi, dst + count, 0.0f);
}

// The first input channel of group g of image n.
const float* GroupInput(const reference::ConvParams& p, const ConvGemmArgs& args, int64_t n, int64_t g) {
  return args.x + (n * p.in_channels + g * p.in_channels / p.group) * Product(p.in_spatial);
}

// Rows (kh, kw) for kw in [0, k_w) of the im2col matrix of input plane x_c, for output rows
// [oh_begin, oh_end): row kw starts at col + kw * row_stride.
KINGLET_SIMD_CLONES void Im2ColRows(const reference::ConvParams& p, const float* x_c, int64_t kh,
                                    int64_t oh_begin, int64_t oh_end, int64_t row_stride, float* col) {
  // Geometry in locals: the stores through `col` could alias p's vectors, which would make the
  // compiler reload every field per output row.
  const int64_t in_h = p.in_spatial[0], in_w = p.in_spatial[1], out_w = p.out_spatial[1];
  const int64_t k_w = p.kernel[1], stride_h = p.strides[0], stride_w = p.strides[1];
  const int64_t dh = kh * p.dilations[0] - p.pads_begin[0];
  const int64_t dilation_w = p.dilations[1], pad_w = p.pads_begin[1];
  const int64_t ih_first = oh_begin * stride_h + dh, ih_last = (oh_end - 1) * stride_h + dh;
  if (stride_w == 1 && pad_w == 0 && (k_w - 1) * dilation_w + out_w <= in_w && ih_first >= 0 &&
      ih_last < in_h) {
    // No padding reaches the band (LeNet's convs, any unpadded one): every row is one run, and a
    // loop without the per-row tests below costs a third as much on 8-wide rows.
    const int64_t step = stride_h * in_w;
    for (int64_t kw = 0; kw < k_w; ++kw) {
      const float* src = x_c + ih_first * in_w + kw * dilation_w;
      float* out = col + kw * row_stride;
      for (int64_t oh = oh_begin; oh < oh_end; ++oh, src += step, out += out_w) CopyShortRun(src, out_w, out);
    }
    return;
  }
  for (int64_t kw = 0; kw < k_w; ++kw) {
    const int64_t dw = kw * dilation_w - pad_w;
    const bool row_inside = stride_w == 1 && dw >= 0 && dw + out_w <= in_w;
    float* out = col + kw * row_stride;
    for (int64_t oh = oh_begin; oh < oh_end; ++oh, out += out_w) {
      const int64_t ih = oh * stride_h + dh;
      if (ih < 0 || ih >= in_h) {
        std::fill_n(out, out_w, 0.0f);
      } else if (row_inside) {
        CopyShortRun(x_c + ih * in_w + dw, out_w, out);
      } else {
        GatherRow(x_c + ih * in_w, in_w, dw, stride_w, out_w, out);
      }
    }
  }
}

// Writes the column matrix of output rows [oh_begin, oh_end) of the group whose first input
// channel is x_g into `columns` (rows BandStride apart), one (channel, kernel row) per task on
// `pool` (null: on the calling thread) — first layers have only three channels.
void FillBand(const reference::ConvParams& p, const float* x_g, int64_t oh_begin, int64_t oh_end,
              float* columns, runtime::ThreadPool* pool) {
  if (reference::IsPointwise(p)) return;
  const int64_t cg = p.in_channels / p.group;
  if (p.rank() != 2) {
    reference::Im2Col(p, x_g, cg, columns);
    return;
  }
  const int64_t plane = Product(p.in_spatial), k_h = p.kernel[0], k_w = p.kernel[1], stride = BandStride(p);
  runtime::ParallelFor(pool, cg * k_h, [&](int64_t task, int) {
    Im2ColRows(p, x_g + task / k_h * plane, task % k_h, oh_begin, oh_end, stride,
               columns + task * k_w * stride);
  });
}

// The GEMM of output rows [oh_begin, oh_end) of group g of image n; `columns` holds the band's
// column matrix (filled by FillBand) unless the conv is pointwise.
SgemmProblem BandProblem(const reference::ConvParams& p, const ConvGemmArgs& args, int64_t n, int64_t g,
                         int64_t oh_begin, int64_t oh_end, const float* columns) {
  const int64_t mg = p.out_channels / p.group;
  const int64_t out_size = Product(p.out_spatial);
  const int64_t patch = Patch(p);
  SgemmProblem pr;
  pr.m = mg;
  pr.n = (oh_end - oh_begin) * RowWidth(p);
  pr.k = patch;
  if (args.packed != nullptr) {
    pr.packed_a = &args.packed->groups[g];
  } else {
    pr.a = MatrixView{args.w + g * mg * patch, patch, 1};
  }
  pr.b = reference::IsPointwise(p) ? MatrixView{GroupInput(p, args, n, g), out_size, 1}
                                   : MatrixView{columns, BandStride(p), 1};
  pr.c = args.y + (n * p.out_channels + g * mg) * out_size + oh_begin * RowWidth(p);
  pr.ldc = out_size;
  pr.epilogue.row_bias = args.bias != nullptr ? args.bias + g * mg : nullptr;
  pr.epilogue.activation = args.activation;
  return pr;
}

// Grouped convs run one group per task (each group's GEMM is small). A single group with at least
// two bands per thread (first layers: 112 or 111 output rows of 19-21 per band) runs one band per
// task, each filling its own column matrix and running its GEMM alone: no dispatch between the
// fill and the GEMM, and the band stays in its thread's cache (SqueezeNet's and MobileNetV2's
// first convs scaled 1.55x to two threads with both split per band). Otherwise a single group
// splits each band's fill and GEMM across the threads.
bool ParallelOverGroups(const reference::ConvParams& p, int threads) { return p.group > 1 && threads > 1; }

int64_t Bands(const reference::ConvParams& p) { return (OutRows(p) + BandRows(p) - 1) / BandRows(p); }

bool ParallelOverBands(const reference::ConvParams& p, int threads) {
  return p.group == 1 && threads > 1 && Bands(p) >= 2 * threads;
}

// Threads that each run a whole GEMM of their own (a group's or a band's): one GEMM thread each.
bool ThreadPerGemm(const reference::ConvParams& p, int threads) {
  return ParallelOverGroups(p, threads) || ParallelOverBands(p, threads);
}

// Per-thread GEMM scratch: enough for a full band and for the (narrower) last one, whose
// column split may differ.
size_t GemmThreadBytes(const SgemmKernel& kernel, const reference::ConvParams& p, bool packed_weights,
                       int threads) {
  const int gemm_threads = ThreadPerGemm(p, threads) ? 1 : threads;
  const int64_t last_rows = OutRows(p) - (OutRows(p) - 1) / BandRows(p) * BandRows(p);
  size_t bytes = 0;
  for (int64_t rows : {BandRows(p), last_rows}) {
    SgemmProblem pr;
    pr.m = p.out_channels / p.group;
    pr.n = rows * RowWidth(p);
    pr.k = Patch(p);
    static const PackedMatrix kPackedMarker;
    if (packed_weights) pr.packed_a = &kPackedMarker;
    bytes = std::max(bytes, SgemmThreadScratchBytes(kernel, pr, gemm_threads));
  }
  return bytes;
}

}  // namespace

void Im2Col2d(const reference::ConvParams& p, const float* x, int64_t channels, int64_t row_stride,
              float* col) {
  const int64_t plane = Product(p.in_spatial), k_h = p.kernel[0], k_w = p.kernel[1];
  for (int64_t task = 0; task < channels * k_h; ++task) {
    Im2ColRows(p, x + task / k_h * plane, task % k_h, 0, p.out_spatial[0], row_stride,
               col + task * k_w * row_stride);
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
  const size_t columns = BandBytes(p) * (ThreadPerGemm(p, threads) ? threads : 1);
  return columns + per_thread * threads;
}

void ConvGemm(const SgemmKernel& kernel, const reference::ConvParams& p, const ConvGemmArgs& args,
              runtime::ThreadPool* pool, void* scratch) {
  const int threads = pool != nullptr ? pool->size() : 1;
  const bool per_group = ParallelOverGroups(p, threads);
  const size_t columns = BandBytes(p);
  char* gemm_scratch = static_cast<char*>(scratch) + columns * (ThreadPerGemm(p, threads) ? threads : 1);
  const size_t gemm_thread_bytes = RoundUp64(GemmThreadBytes(kernel, p, args.packed != nullptr, threads));
  const int64_t out_rows = OutRows(p), band_rows = BandRows(p);
  // One group of one image, band by band; a null `gemm_pool` runs it on the calling thread.
  auto run_group = [&](int64_t n, int64_t g, int slot, runtime::ThreadPool* gemm_pool, char* thread_scratch) {
    float* band = reinterpret_cast<float*>(static_cast<char*>(scratch) + columns * slot);
    for (int64_t oh = 0; oh < out_rows; oh += band_rows) {
      const int64_t oh_end = std::min(out_rows, oh + band_rows);
      FillBand(p, GroupInput(p, args, n, g), oh, oh_end, band, gemm_pool);
      SgemmRun(kernel, BandProblem(p, args, n, g, oh, oh_end, band), gemm_pool, thread_scratch);
    }
  };
  if (per_group) {
    pool->ParallelFor(p.batch * p.group, [&](int64_t task, int slot) {
      run_group(task / p.group, task % p.group, slot, nullptr, gemm_scratch + gemm_thread_bytes * slot);
    });
    return;
  }
  if (ParallelOverBands(p, threads)) {
    // Bands evened out to a multiple of the threads (6 bands of 19 rows rather than 5 of 21 and
    // one of 7), each no larger than the scratch's.
    const int64_t bands = (Bands(p) + threads - 1) / threads * threads;
    const int64_t rows = (out_rows + bands - 1) / bands;
    pool->ParallelFor(p.batch * bands, [&](int64_t task, int slot) {
      const int64_t n = task / bands, oh = task % bands * rows, oh_end = std::min(out_rows, oh + rows);
      if (oh >= oh_end) return;
      float* band = reinterpret_cast<float*>(static_cast<char*>(scratch) + columns * slot);
      FillBand(p, GroupInput(p, args, n, 0), oh, oh_end, band, nullptr);
      SgemmRun(kernel, BandProblem(p, args, n, 0, oh, oh_end, band), nullptr,
               gemm_scratch + gemm_thread_bytes * slot);
    });
    return;
  }
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t g = 0; g < p.group; ++g) run_group(n, g, 0, pool, gemm_scratch);
  }
}

}  // namespace kinglet::kernels
