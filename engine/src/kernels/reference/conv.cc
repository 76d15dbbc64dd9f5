#include "kernels/reference/conv.h"

#include <algorithm>

namespace kinglet::kernels::reference {
namespace {

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

// Row-major coordinates of `index` over the first `count` entries of `dims`.
void Unflatten(int64_t index, const int64_t* dims, int count, int64_t* coords) {
  for (int d = count - 1; d >= 0; --d) {
    coords[d] = index % dims[d];
    index /= dims[d];
  }
}

// Row-major strides of `dims` (in elements).
void RowMajorStrides(const std::vector<int64_t>& dims, int64_t* strides) {
  int64_t s = 1;
  for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
    strides[d] = s;
    s *= dims[d];
  }
}

// c[m x n] += A * b[k x n], where A[i][l] = a[i * a_stride_m + l * a_stride_k] (so A can be a
// row-major matrix or the transpose of one); b and c are row-major and contiguous.
// A 4 x 8 tile of c lives in local accumulators (registers) for the whole k loop, so every
// element of b loaded feeds four multiply-adds; the column blocking keeps the slab of b that the
// row tiles sweep in cache. Leftover rows and columns take plain loops.
void MatMulAccumulate(const float* a, int64_t a_stride_m, int64_t a_stride_k, const float* b, float* c,
                      int64_t m, int64_t k, int64_t n) {
  constexpr int64_t kRows = 4;
  constexpr int64_t kCols = 8;
  constexpr int64_t kColumnBlock = 512;
  for (int64_t j0 = 0; j0 < n; j0 += kColumnBlock) {
    const int64_t j_end = std::min(j0 + kColumnBlock, n);
    int64_t i = 0;
    for (; i + kRows <= m; i += kRows) {
      int64_t j = j0;
      for (; j + kCols <= j_end; j += kCols) {
        float acc[kRows][kCols] = {};
        for (int64_t l = 0; l < k; ++l) {
          const float* b_row = b + l * n + j;
          for (int64_t r = 0; r < kRows; ++r) {
            const float a_rl = a[(i + r) * a_stride_m + l * a_stride_k];
            for (int64_t jj = 0; jj < kCols; ++jj) acc[r][jj] += a_rl * b_row[jj];
          }
        }
        for (int64_t r = 0; r < kRows; ++r) {
          for (int64_t jj = 0; jj < kCols; ++jj) c[(i + r) * n + j + jj] += acc[r][jj];
        }
      }
      for (; j < j_end; ++j) {
        for (int64_t r = 0; r < kRows; ++r) {
          float sum = 0.0f;
          for (int64_t l = 0; l < k; ++l) sum += a[(i + r) * a_stride_m + l * a_stride_k] * b[l * n + j];
          c[(i + r) * n + j] += sum;
        }
      }
    }
    for (; i < m; ++i) {
      float* c_row = c + i * n;
      for (int64_t l = 0; l < k; ++l) {
        const float a_il = a[i * a_stride_m + l * a_stride_k];
        const float* b_row = b + l * n;
        for (int64_t j = j0; j < j_end; ++j) c_row[j] += a_il * b_row[j];
      }
    }
  }
}

void FillChannels(const float* bias, int64_t channels, int64_t size, float* y) {
  for (int64_t m = 0; m < channels; ++m) {
    std::fill_n(y + m * size, size, bias != nullptr ? bias[m] : 0.0f);
  }
}

}  // namespace

bool IsPointwise(const ConvParams& p) {
  for (int d = 0; d < p.rank(); ++d) {
    if (p.kernel[d] != 1 || p.strides[d] != 1 || p.pads_begin[d] != 0 || p.pads_end[d] != 0) {
      return false;
    }
  }
  return true;
}

void Im2Col(const ConvParams& p, const float* x, int64_t channels, float* col) {
  const int rank = p.rank();
  const int last = rank - 1;
  const int64_t kernel_size = Product(p.kernel);
  const int64_t in_size = Product(p.in_spatial);
  const int64_t out_size = Product(p.out_spatial);
  const int64_t out_inner = p.out_spatial[last];
  const int64_t out_outer = out_size / out_inner;
  const int64_t in_inner = p.in_spatial[last];
  const int64_t stride_inner = p.strides[last];
  int64_t in_strides[kMaxSpatialRank] = {};
  RowMajorStrides(p.in_spatial, in_strides);
  int64_t k[kMaxSpatialRank] = {};
  int64_t o[kMaxSpatialRank] = {};

  for (int64_t c = 0; c < channels; ++c) {
    const float* x_c = x + c * in_size;
    for (int64_t kk = 0; kk < kernel_size; ++kk) {
      Unflatten(kk, p.kernel.data(), rank, k);
      float* row = col + (c * kernel_size + kk) * out_size;
      const int64_t start_inner = k[last] * p.dilations[last] - p.pads_begin[last];
      for (int64_t outer = 0; outer < out_outer; ++outer) {
        float* dst = row + outer * out_inner;
        Unflatten(outer, p.out_spatial.data(), last, o);
        int64_t offset = 0;
        bool inside = true;
        for (int d = 0; d < last && inside; ++d) {
          const int64_t i = o[d] * p.strides[d] - p.pads_begin[d] + k[d] * p.dilations[d];
          inside = i >= 0 && i < p.in_spatial[d];
          offset += i * in_strides[d];
        }
        if (!inside) {
          std::fill_n(dst, out_inner, 0.0f);
          continue;
        }
        const float* src = x_c + offset;
        for (int64_t ow = 0; ow < out_inner; ++ow) {
          const int64_t i = ow * stride_inner + start_inner;
          dst[ow] = (i >= 0 && i < in_inner) ? src[i] : 0.0f;
        }
      }
    }
  }
}

namespace {

// The adjoint of Im2Col: adds row (m, k...) of the [channels * kernel_size, in_size] matrix
// `col` into y[m, i*stride - pad_begin + k*dilation] for every input position i, dropping
// positions outside y.
void Col2Im(const ConvParams& p, const float* col, int64_t channels, float* y) {
  const int rank = p.rank();
  const int last = rank - 1;
  const int64_t kernel_size = Product(p.kernel);
  const int64_t in_size = Product(p.in_spatial);
  const int64_t out_size = Product(p.out_spatial);
  const int64_t in_inner = p.in_spatial[last];
  const int64_t in_outer = in_size / in_inner;
  const int64_t out_inner = p.out_spatial[last];
  const int64_t stride_inner = p.strides[last];
  int64_t out_strides[kMaxSpatialRank] = {};
  RowMajorStrides(p.out_spatial, out_strides);
  int64_t k[kMaxSpatialRank] = {};
  int64_t i[kMaxSpatialRank] = {};

  for (int64_t m = 0; m < channels; ++m) {
    float* y_m = y + m * out_size;
    for (int64_t kk = 0; kk < kernel_size; ++kk) {
      Unflatten(kk, p.kernel.data(), rank, k);
      const float* row = col + (m * kernel_size + kk) * in_size;
      const int64_t start_inner = k[last] * p.dilations[last] - p.pads_begin[last];
      for (int64_t outer = 0; outer < in_outer; ++outer) {
        Unflatten(outer, p.in_spatial.data(), last, i);
        int64_t offset = 0;
        bool inside = true;
        for (int d = 0; d < last && inside; ++d) {
          const int64_t o = i[d] * p.strides[d] - p.pads_begin[d] + k[d] * p.dilations[d];
          inside = o >= 0 && o < p.out_spatial[d];
          offset += o * out_strides[d];
        }
        if (!inside) continue;
        const float* src = row + outer * in_inner;
        float* dst = y_m + offset;
        for (int64_t iw = 0; iw < in_inner; ++iw) {
          const int64_t o = iw * stride_inner + start_inner;
          if (o >= 0 && o < out_inner) dst[o] += src[iw];
        }
      }
    }
  }
}

}  // namespace

size_t ConvScratchBytes(const ConvParams& p) {
  if (IsPointwise(p)) return 0;
  const int64_t rows = p.in_channels / p.group * Product(p.kernel);
  return static_cast<size_t>(rows * Product(p.out_spatial)) * sizeof(float);
}

void Conv(const ConvParams& p, const float* x, const float* w, const float* bias, float* y, void* scratch) {
  const int64_t cg = p.in_channels / p.group;
  const int64_t mg = p.out_channels / p.group;
  const int64_t in_size = Product(p.in_spatial);
  const int64_t out_size = Product(p.out_spatial);
  const int64_t patch = cg * Product(p.kernel);  // the inner dimension of the product
  const bool pointwise = IsPointwise(p);
  float* col = static_cast<float*>(scratch);

  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t g = 0; g < p.group; ++g) {
      const float* x_g = x + (n * p.in_channels + g * cg) * in_size;
      const float* w_g = w + g * mg * patch;
      float* y_g = y + (n * p.out_channels + g * mg) * out_size;
      FillChannels(bias != nullptr ? bias + g * mg : nullptr, mg, out_size, y_g);
      const float* b = x_g;
      if (!pointwise) {
        Im2Col(p, x_g, cg, col);
        b = col;
      }
      MatMulAccumulate(w_g, patch, 1, b, y_g, mg, patch, out_size);
    }
  }
}

size_t ConvTransposeScratchBytes(const ConvParams& p) {
  const int64_t rows = p.out_channels / p.group * Product(p.kernel);
  return static_cast<size_t>(rows * Product(p.in_spatial)) * sizeof(float);
}

void ConvTranspose(const ConvParams& p, const float* x, const float* w, const float* bias, float* y,
                   void* scratch) {
  const int64_t cg = p.in_channels / p.group;
  const int64_t mg = p.out_channels / p.group;
  const int64_t in_size = Product(p.in_spatial);
  const int64_t out_size = Product(p.out_spatial);
  const int64_t rows = mg * Product(p.kernel);  // one per (output channel, kernel tap)
  float* col = static_cast<float*>(scratch);

  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t g = 0; g < p.group; ++g) {
      const float* x_g = x + (n * p.in_channels + g * cg) * in_size;
      const float* w_g = w + g * cg * rows;  // [cg, rows]
      float* y_g = y + (n * p.out_channels + g * mg) * out_size;
      FillChannels(bias != nullptr ? bias + g * mg : nullptr, mg, out_size, y_g);
      // col[rows, in_size] = w_g^T * x_g, then scattered into the output.
      std::fill_n(col, rows * in_size, 0.0f);
      MatMulAccumulate(w_g, 1, rows, x_g, col, rows, cg, in_size);
      Col2Im(p, col, mg, y_g);
    }
  }
}

}  // namespace kinglet::kernels::reference
