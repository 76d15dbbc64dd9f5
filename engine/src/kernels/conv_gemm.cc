#include "kernels/conv_gemm.h"

#include <algorithm>

namespace kinglet::kernels {
namespace {

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

// The im2col matrix's bytes, rounded so the GEMM's packing buffers after it stay 64-byte aligned.
size_t ColumnBytes(const reference::ConvParams& p) {
  if (reference::IsPointwise(p)) return 0;
  const int64_t rows = p.in_channels / p.group * Product(p.kernel);
  const size_t bytes = static_cast<size_t>(rows * Product(p.out_spatial)) * sizeof(float);
  return (bytes + 63) / 64 * 64;
}

}  // namespace

size_t ConvGemmScratchBytes(const SgemmKernel& kernel, const reference::ConvParams& p) {
  const int64_t mg = p.out_channels / p.group;
  const int64_t patch = p.in_channels / p.group * Product(p.kernel);
  return ColumnBytes(p) + SgemmScratchBytes(kernel, mg, Product(p.out_spatial), patch);
}

void ConvGemm(const SgemmKernel& kernel, const reference::ConvParams& p, const float* x, const float* w,
              const float* bias, float* y, void* scratch) {
  const int64_t cg = p.in_channels / p.group;
  const int64_t mg = p.out_channels / p.group;
  const int64_t in_size = Product(p.in_spatial);
  const int64_t out_size = Product(p.out_spatial);
  const int64_t patch = cg * Product(p.kernel);
  const bool pointwise = reference::IsPointwise(p);
  float* col = static_cast<float*>(scratch);
  void* gemm_scratch = static_cast<char*>(scratch) + ColumnBytes(p);

  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t g = 0; g < p.group; ++g) {
      const float* x_g = x + (n * p.in_channels + g * cg) * in_size;
      float* y_g = y + (n * p.out_channels + g * mg) * out_size;
      if (bias != nullptr) {
        for (int64_t m = 0; m < mg; ++m) std::fill_n(y_g + m * out_size, out_size, bias[g * mg + m]);
      }
      const float* b = x_g;
      if (!pointwise) {
        reference::Im2Col(p, x_g, cg, col);
        b = col;
      }
      Sgemm(kernel, mg, out_size, patch, 1.0f, MatrixView{w + g * mg * patch, patch, 1}, MatrixView{b, out_size, 1},
            y_g, out_size, bias != nullptr, gemm_scratch);
    }
  }
}

}  // namespace kinglet::kernels
