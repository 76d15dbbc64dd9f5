#include "kernels/reference/copy.h"

#include <algorithm>
#include <cstring>

namespace kinglet::kernels::reference {
namespace {

// memcpy of a compile-time size compiles to one load and one store, and unlike a typed pointer
// it is well-defined whatever the alignment of the caller's buffers.
template <size_t N>
void CopyElements(const char* in, char* out, int64_t n, int64_t in_step, int64_t out_step) {
  for (int64_t i = 0; i < n; ++i) std::memcpy(out + i * out_step, in + i * in_step, N);
}

void CopyRow(const char* in, char* out, int64_t n, int64_t in_stride, int64_t out_stride,
             size_t element_size) {
  const int64_t es = static_cast<int64_t>(element_size);
  if (in_stride == 1 && out_stride == 1) {
    std::memcpy(out, in, static_cast<size_t>(n) * element_size);
    return;
  }
  const int64_t in_step = in_stride * es;
  const int64_t out_step = out_stride * es;
  switch (element_size) {
    case 1:
      CopyElements<1>(in, out, n, in_step, out_step);
      return;
    case 2:
      CopyElements<2>(in, out, n, in_step, out_step);
      return;
    case 4:
      CopyElements<4>(in, out, n, in_step, out_step);
      return;
    case 8:
      CopyElements<8>(in, out, n, in_step, out_step);
      return;
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(out + i * out_step, in + i * in_step, element_size);
  }
}

void CopyDim(const StridedCopyParams& p, size_t dim, const char* in, char* out) {
  const int64_t n = p.shape[dim];
  if (dim + 1 == p.shape.size()) {
    CopyRow(in, out, n, p.in_strides[dim], p.out_strides[dim], p.element_size);
    return;
  }
  const int64_t es = static_cast<int64_t>(p.element_size);
  const int64_t in_step = p.in_strides[dim] * es;
  const int64_t out_step = p.out_strides[dim] * es;
  for (int64_t i = 0; i < n; ++i) CopyDim(p, dim + 1, in + i * in_step, out + i * out_step);
}

template <typename Index>
int64_t FindOutOfRange(const Index* indices, int64_t index_count, int64_t axis_size) {
  for (int64_t j = 0; j < index_count; ++j) {
    const int64_t idx = static_cast<int64_t>(indices[j]);
    if (idx < -axis_size || idx >= axis_size) return j;
  }
  return -1;
}

template <typename Index>
void GatherRows(const GatherParams& p, const Index* indices, int64_t index_count, const void* data,
                void* out) {
  const size_t row_bytes = static_cast<size_t>(p.inner) * p.element_size;
  if (row_bytes == 0 || p.outer == 0 || index_count == 0) return;
  const char* src = static_cast<const char*>(data);
  char* dst = static_cast<char*>(out);
  for (int64_t o = 0; o < p.outer; ++o) {
    const char* block = src + static_cast<size_t>(o * p.axis_size) * row_bytes;
    for (int64_t j = 0; j < index_count; ++j) {
      int64_t idx = static_cast<int64_t>(indices[j]);
      if (idx < 0) idx += p.axis_size;
      std::memcpy(dst, block + static_cast<size_t>(idx) * row_bytes, row_bytes);
      dst += row_bytes;
    }
  }
}

}  // namespace

StridedCopyParams SimplifyStridedCopy(StridedCopyParams p) {
  StridedCopyParams s;
  s.element_size = p.element_size;
  const size_t rank = p.shape.size();
  if (std::find(p.shape.begin(), p.shape.end(), 0) != p.shape.end()) {
    s.shape = {0};
    s.in_strides = {1};
    s.out_strides = {1};
    return s;
  }
  // Built innermost first, reversed at the end.
  for (size_t k = rank; k-- > 0;) {
    if (p.shape[k] == 1) continue;
    if (!s.shape.empty() && p.in_strides[k] == s.in_strides.back() * s.shape.back() &&
        p.out_strides[k] == s.out_strides.back() * s.shape.back()) {
      s.shape.back() *= p.shape[k];
      continue;
    }
    s.shape.push_back(p.shape[k]);
    s.in_strides.push_back(p.in_strides[k]);
    s.out_strides.push_back(p.out_strides[k]);
  }
  std::reverse(s.shape.begin(), s.shape.end());
  std::reverse(s.in_strides.begin(), s.in_strides.end());
  std::reverse(s.out_strides.begin(), s.out_strides.end());
  return s;
}

void StridedCopy(const StridedCopyParams& p, const void* in, void* out) {
  // Zero-size tensors may have null buffers: return before touching them.
  for (int64_t d : p.shape) {
    if (d == 0) return;
  }
  const char* src = static_cast<const char*>(in);
  char* dst = static_cast<char*>(out);
  if (p.shape.empty()) {
    std::memcpy(dst, src, p.element_size);
    return;
  }
  CopyDim(p, 0, src, dst);
}

int64_t FindOutOfRangeIndex(const int64_t* indices, int64_t index_count, int64_t axis_size) {
  return FindOutOfRange(indices, index_count, axis_size);
}
int64_t FindOutOfRangeIndex(const int32_t* indices, int64_t index_count, int64_t axis_size) {
  return FindOutOfRange(indices, index_count, axis_size);
}

void Gather(const GatherParams& p, const int64_t* indices, int64_t index_count, const void* data, void* out) {
  GatherRows(p, indices, index_count, data, out);
}
void Gather(const GatherParams& p, const int32_t* indices, int64_t index_count, const void* data, void* out) {
  GatherRows(p, indices, index_count, data, out);
}

}  // namespace kinglet::kernels::reference
