#include "kernels/reference/pool.h"

#include <algorithm>
#include <limits>

#include "kernels/reference/conv.h"  // kMaxSpatialRank

namespace kinglet::kernels::reference {
namespace {

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

// The taps of one window: along axis d, tap k reads input coordinate start[d] + k*dilation[d],
// and taps lo[d] <= k < hi[d] are inside the input.
struct Window {
  int64_t start[kMaxSpatialRank];
  int64_t lo[kMaxSpatialRank];
  int64_t hi[kMaxSpatialRank];
  bool empty;
};

Window WindowAt(const PoolParams& p, const int64_t* out_coords) {
  Window w{};
  w.empty = false;
  for (size_t d = 0; d < p.kernel.size(); ++d) {
    const int64_t start = out_coords[d] * p.strides[d] - p.pads_begin[d];
    const int64_t dil = p.dilations[d];
    const int64_t last_in = p.in_spatial[d] - 1;
    w.start[d] = start;
    w.lo[d] = start < 0 ? (-start + dil - 1) / dil : 0;
    w.hi[d] = start > last_in ? 0 : std::min(p.kernel[d], (last_in - start) / dil + 1);
    if (w.lo[d] >= w.hi[d]) w.empty = true;
  }
  return w;
}

// Number of taps inside the padded input [-pad_begin, in + pad_end); a window never starts
// before -pad_begin, so only the end can clip it.
int64_t PaddedTapCount(const PoolParams& p, const Window& w) {
  int64_t count = 1;
  for (size_t d = 0; d < p.kernel.size(); ++d) {
    const int64_t last_padded = p.in_spatial[d] + p.pads_end[d] - 1;
    const int64_t taps =
        w.start[d] > last_padded ? 0 : std::min(p.kernel[d], (last_padded - w.start[d]) / p.dilations[d] + 1);
    count *= taps;
  }
  return count;
}

// Calls visit(offset) for every in-input tap of a non-empty window, in row-major tap order;
// `offset` indexes one input plane.
template <typename Visit>
void ForEachTap(const PoolParams& p, const int64_t* in_strides, const Window& w, Visit visit) {
  const int last = static_cast<int>(p.kernel.size()) - 1;
  int64_t tap[kMaxSpatialRank] = {};
  for (int d = 0; d <= last; ++d) tap[d] = w.lo[d];
  const int64_t dil_inner = p.dilations[last];
  while (true) {
    int64_t base = w.start[last];
    for (int d = 0; d < last; ++d) base += (w.start[d] + tap[d] * p.dilations[d]) * in_strides[d];
    for (int64_t k = w.lo[last]; k < w.hi[last]; ++k) visit(base + k * dil_inner);
    int d = last - 1;
    while (d >= 0 && ++tap[d] == w.hi[d]) {
      tap[d] = w.lo[d];
      --d;
    }
    if (d < 0) return;
  }
}

// Calls visit(out_index, window) for every output position of one plane, in row-major order.
template <typename Visit>
void ForEachOutput(const PoolParams& p, Visit visit) {
  const int rank = static_cast<int>(p.kernel.size());
  const int64_t out_size = Product(p.out_spatial);
  int64_t o[kMaxSpatialRank] = {};
  for (int64_t j = 0; j < out_size; ++j) {
    visit(j, WindowAt(p, o));
    for (int d = rank - 1; d >= 0; --d) {
      if (++o[d] < p.out_spatial[d]) break;
      o[d] = 0;
    }
  }
}

void InputStrides(const PoolParams& p, int64_t* strides) {
  int64_t s = 1;
  for (int d = static_cast<int>(p.in_spatial.size()) - 1; d >= 0; --d) {
    strides[d] = s;
    s *= p.in_spatial[d];
  }
}

// Re-expresses a row-major offset within a plane as a column-major one.
int64_t ToColumnMajor(const PoolParams& p, int64_t offset) {
  const int rank = static_cast<int>(p.in_spatial.size());
  int64_t coords[kMaxSpatialRank] = {};
  for (int d = rank - 1; d >= 0; --d) {
    coords[d] = offset % p.in_spatial[d];
    offset /= p.in_spatial[d];
  }
  int64_t result = 0;
  int64_t stride = 1;
  for (int d = 0; d < rank; ++d) {
    result += coords[d] * stride;
    stride *= p.in_spatial[d];
  }
  return result;
}

}  // namespace

template <typename T>
void MaxPool(const PoolParams& p, const T* x, T* y, int64_t* indices) {
  const int64_t in_size = Product(p.in_spatial);
  const int64_t out_size = Product(p.out_spatial);
  int64_t in_strides[kMaxSpatialRank] = {};
  InputStrides(p, in_strides);
  for (int64_t plane = 0; plane < p.planes; ++plane) {
    const T* x_p = x + plane * in_size;
    T* y_p = y + plane * out_size;
    ForEachOutput(p, [&](int64_t j, const Window& w) {
      T best = std::numeric_limits<T>::lowest();
      int64_t best_offset = -1;
      if (!w.empty) {
        ForEachTap(p, in_strides, w, [&](int64_t offset) {
          if (best_offset < 0 || x_p[offset] > best) {
            best = x_p[offset];
            best_offset = offset;
          }
        });
      }
      y_p[j] = best;
      if (indices != nullptr) {
        int64_t index = -1;
        if (best_offset >= 0) {
          index = plane * in_size + (p.column_major_indices ? ToColumnMajor(p, best_offset) : best_offset);
        }
        indices[plane * out_size + j] = index;
      }
    });
  }
}

template void MaxPool<float>(const PoolParams&, const float*, float*, int64_t*);
template void MaxPool<int8_t>(const PoolParams&, const int8_t*, int8_t*, int64_t*);
template void MaxPool<uint8_t>(const PoolParams&, const uint8_t*, uint8_t*, int64_t*);

void AveragePool(const PoolParams& p, const float* x, float* y) {
  const int64_t in_size = Product(p.in_spatial);
  const int64_t out_size = Product(p.out_spatial);
  int64_t in_strides[kMaxSpatialRank] = {};
  InputStrides(p, in_strides);
  for (int64_t plane = 0; plane < p.planes; ++plane) {
    const float* x_p = x + plane * in_size;
    float* y_p = y + plane * out_size;
    ForEachOutput(p, [&](int64_t j, const Window& w) {
      float sum = 0.0f;
      int64_t count = 0;
      if (!w.empty) {
        ForEachTap(p, in_strides, w, [&](int64_t offset) {
          sum += x_p[offset];
          ++count;
        });
      }
      if (p.count_include_pad) count = PaddedTapCount(p, w);
      y_p[j] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
    });
  }
}

void GlobalAveragePool(int64_t planes, int64_t plane_size, const float* x, float* y) {
  for (int64_t plane = 0; plane < planes; ++plane) {
    // Planes can be large (a whole feature map); a double accumulator keeps the reference exact
    // enough that SIMD variants with a different summation order stay within tolerance.
    double sum = 0.0;
    const float* x_p = x + plane * plane_size;
    for (int64_t i = 0; i < plane_size; ++i) sum += x_p[i];
    y[plane] = plane_size > 0 ? static_cast<float>(sum / static_cast<double>(plane_size)) : 0.0f;
  }
}

void GlobalMaxPool(int64_t planes, int64_t plane_size, const float* x, float* y) {
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float* x_p = x + plane * plane_size;
    float best = std::numeric_limits<float>::lowest();
    for (int64_t i = 0; i < plane_size; ++i) best = i == 0 || x_p[i] > best ? x_p[i] : best;
    y[plane] = best;
  }
}

}  // namespace kinglet::kernels::reference
