#include "kernels/reference/pad.h"

#include <cstring>

namespace kinglet::kernels::reference {
namespace {

// Input coordinate that output coordinate `o` copies along one axis, or -1 for the constant.
int64_t SourceIndex(const PadParams& p, size_t axis, int64_t o) {
  const int64_t in = p.in_shape[axis];
  const int64_t begin = p.pads_begin[axis];
  // What survives cropping: [lo, hi) in input coordinates.
  const int64_t lo = begin < 0 ? -begin : 0;
  const int64_t hi = in - (p.pads_end[axis] < 0 ? -p.pads_end[axis] : 0);
  const int64_t i = o - begin;
  if (i >= lo && i < hi) return i;
  switch (p.mode) {
    case PadMode::kConstant:
      return -1;
    case PadMode::kEdge:
      return i < lo ? lo : hi - 1;
    case PadMode::kReflect: {
      const int64_t n = hi - lo;
      if (n == 1) return lo;
      // Reflection is periodic with period 2(n-1); wider pads keep bouncing, as numpy does.
      const int64_t period = 2 * (n - 1);
      int64_t j = (i - lo) % period;
      if (j < 0) j += period;
      return lo + (j < n ? j : period - j);
    }
  }
  return -1;
}

}  // namespace

std::vector<int64_t> PaddedShape(const PadParams& p) {
  std::vector<int64_t> out(p.in_shape.size());
  for (size_t d = 0; d < out.size(); ++d) {
    out[d] = p.in_shape[d] + p.pads_begin[d] + p.pads_end[d];
  }
  return out;
}

void Pad(const PadParams& p, const void* x, const void* constant_value, void* y) {
  const size_t es = p.element_size;
  const auto* src = static_cast<const unsigned char*>(x);
  auto* dst = static_cast<unsigned char*>(y);
  const size_t rank = p.in_shape.size();
  if (rank == 0) {
    std::memcpy(dst, src, es);
    return;
  }
  const size_t last = rank - 1;
  int64_t out_rows = 1;
  for (size_t d = 0; d < last; ++d) out_rows *= p.in_shape[d] + p.pads_begin[d] + p.pads_end[d];
  const int64_t out_inner = p.in_shape[last] + p.pads_begin[last] + p.pads_end[last];
  const int64_t in_inner = p.in_shape[last];
  if (out_inner == 0) return;

  // The contiguous middle of each output row copies input [copy_from, copy_from + copy_count).
  const int64_t copy_from = p.pads_begin[last] < 0 ? -p.pads_begin[last] : 0;
  const int64_t copy_to = in_inner - (p.pads_end[last] < 0 ? -p.pads_end[last] : 0);
  const int64_t copy_count = copy_to > copy_from ? copy_to - copy_from : 0;
  const int64_t left = p.pads_begin[last] > 0 ? p.pads_begin[last] : 0;

  for (int64_t row = 0; row < out_rows; ++row) {
    unsigned char* out_row = dst + static_cast<size_t>(row * out_inner) * es;
    // Map the output row's leading coordinates to an input row (or to the constant).
    int64_t in_row = 0;
    int64_t rest = row;
    int64_t row_stride = 1;
    bool constant_row = false;
    for (size_t d = last; d-- > 0;) {
      const int64_t out_dim = p.in_shape[d] + p.pads_begin[d] + p.pads_end[d];
      const int64_t i = SourceIndex(p, d, rest % out_dim);
      rest /= out_dim;
      if (i < 0) {
        constant_row = true;
        break;
      }
      in_row += i * row_stride;
      row_stride *= p.in_shape[d];
    }
    if (constant_row) {
      for (int64_t o = 0; o < out_inner; ++o) std::memcpy(out_row + o * es, constant_value, es);
      continue;
    }
    const unsigned char* in_row_ptr = src + static_cast<size_t>(in_row * in_inner) * es;
    for (int64_t o = 0; o < out_inner; ++o) {
      if (o == left && copy_count > 0) {
        std::memcpy(out_row + o * es, in_row_ptr + copy_from * es, copy_count * es);
        o += copy_count - 1;
        continue;
      }
      const int64_t i = SourceIndex(p, last, o);
      std::memcpy(out_row + o * es, i < 0 ? constant_value : in_row_ptr + i * es, es);
    }
  }
}

}  // namespace kinglet::kernels::reference
