// Portable pooling kernels over N-d spatial data laid out as [planes, spatial...], where a plane
// is one (batch, channel) pair. The reference the SIMD pools are tested against.
//
// The kernels never allocate and never fail: the caller validates the parameters.
#pragma once

#include <cstdint>
#include <vector>

namespace kinglet::kernels::reference {

// Geometry of a windowed pool; every per-axis vector has one entry per spatial axis (at most
// kMaxSpatialRank from conv.h). Window taps sit at o*stride - pad_begin + k*dilation.
struct PoolParams {
  int64_t planes = 0;  // batch * channels
  std::vector<int64_t> in_spatial;
  std::vector<int64_t> out_spatial;
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads_begin;
  std::vector<int64_t> pads_end;
  // AveragePool: divide by the taps inside the padded input ([-pad_begin, in + pad_end)) instead
  // of by the taps inside the input. Taps beyond the end padding (ceil_mode) never count.
  bool count_include_pad = false;
  // MaxPool indices: spatial coordinates flattened column-major (ONNX storage_order=1) instead
  // of row-major. The plane offset (plane * plane_size) is added either way.
  bool column_major_indices = false;
};

// y = max over each window's in-input taps (padding never wins). If `indices` is not null it
// receives the flat input index of the first maximum. A window with no tap inside the input
// yields the lowest value of T and index -1.
// Instantiated for float, int8_t and uint8_t.
template <typename T>
void MaxPool(const PoolParams& p, const T* x, T* y, int64_t* indices);

// y = mean of each window (see count_include_pad); a window with nothing to count yields 0.
void AveragePool(const PoolParams& p, const float* x, float* y);

// y[plane] = mean / max of the `plane_size` elements of each plane.
void GlobalAveragePool(int64_t planes, int64_t plane_size, const float* x, float* y);
void GlobalMaxPool(int64_t planes, int64_t plane_size, const float* x, float* y);

}  // namespace kinglet::kernels::reference
