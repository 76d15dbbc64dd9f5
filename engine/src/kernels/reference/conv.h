// Portable float32 convolution and transposed convolution over N-d spatial data (NCHW-style
// layout: batch, channels, spatial...). These are the specification the SIMD kernels are tested
// against: they favour clarity and generality, with just enough care (im2col + a cache-blocked
// inner-product loop) to run real models at a usable speed.
//
// The kernels never allocate and never fail: the caller (the op's Prepare) validates every
// field below and provides `scratch` of at least the size the *ScratchBytes function returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kinglet::kernels::reference {

// Largest number of spatial axes the kernels handle (their index arrays live on the stack).
constexpr int kMaxSpatialRank = 8;

// Geometry of a grouped, strided, dilated, padded convolution. All per-axis vectors have one
// entry per spatial axis. For Conv, `in_spatial`/`out_spatial` are X's and Y's spatial dims; for
// ConvTranspose they are also X's and Y's (the op runs the convolution's data flow backwards).
struct ConvParams {
  int64_t batch = 1;
  int64_t in_channels = 0;   // C (all groups)
  int64_t out_channels = 0;  // M (all groups)
  int64_t group = 1;         // C and M are both multiples of group
  std::vector<int64_t> in_spatial;
  std::vector<int64_t> out_spatial;
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  // Padding before and after each spatial axis. Conv requires them >= 0. ConvTranspose allows
  // negative values (from output_shape): output positions outside [0, out) are simply dropped.
  std::vector<int64_t> pads_begin;
  std::vector<int64_t> pads_end;

  int rank() const { return static_cast<int>(kernel.size()); }
};

// A 1x1 convolution with unit strides and no padding reads its input as the im2col matrix.
bool IsPointwise(const ConvParams& p);

// Writes the receptive fields of `channels` input planes as a [channels * kernel_size, out_size]
// matrix: row (c, k...) holds x[c, o*stride - pad_begin + k*dilation] for every output position
// o, or 0 where that position falls in the padding.
void Im2Col(const ConvParams& p, const float* x, int64_t channels, float* col);

// Bytes of scratch Conv needs (the im2col matrix of one group); 0 for pointwise convolutions.
size_t ConvScratchBytes(const ConvParams& p);

// y[n, m, o...] = bias[m] + sum over (c in m's group, k...) of
//                 w[m, c, k...] * x[n, c, o*stride - pad_begin + k*dilation]
// with out-of-range input positions reading as 0.
// x: [batch, in_channels, in_spatial...]; w: [out_channels, in_channels/group, kernel...];
// bias: [out_channels] or nullptr; y: [batch, out_channels, out_spatial...].
void Conv(const ConvParams& p, const float* x, const float* w, const float* bias, float* y, void* scratch);

// Bytes of scratch ConvTranspose needs (the column matrix of one group).
size_t ConvTransposeScratchBytes(const ConvParams& p);

// The adjoint of Conv's data flow: every x[n, c, i...] adds x * w[c, m, k...] to
// y[n, m, i*stride - pad_begin + k*dilation] (dropped when outside y), then bias[m] is added.
// x: [batch, in_channels, in_spatial...]; w: [in_channels, out_channels/group, kernel...];
// bias: [out_channels] or nullptr; y: [batch, out_channels, out_spatial...].
void ConvTranspose(const ConvParams& p, const float* x, const float* w, const float* bias, float* y,
                   void* scratch);

}  // namespace kinglet::kernels::reference
