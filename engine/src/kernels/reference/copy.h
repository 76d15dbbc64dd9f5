// Portable data movement: the strided N-d copy under Transpose, Slice, Concat and Split, and the
// row gather under Gather.
//
// The kernels see only element sizes, shapes and strides, never dtypes, so one kernel serves
// every element type. They never allocate and never fail: the caller (the op's Prepare)
// validates the geometry; for Gather, the op's Eval validates the indices first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kinglet::kernels::reference {

// Copies a block of `shape`: element (i0, .., iN-1) goes from
//   in  + sum_k ik * in_strides[k]
// to
//   out + sum_k ik * out_strides[k].
// Strides are in elements and may be zero or negative (Slice with negative steps). Rank 0 copies
// one element; any zero dim copies nothing.
struct StridedCopyParams {
  std::vector<int64_t> shape;
  std::vector<int64_t> in_strides;
  std::vector<int64_t> out_strides;
  size_t element_size = 0;  // bytes
};

// The same copy with size-1 dims dropped and neighbouring dims merged wherever both sides are
// contiguous across them, so the innermost loop is as long as possible (often one memcpy per
// row). Call it once in Prepare; StridedCopy is correct with or without it.
StridedCopyParams SimplifyStridedCopy(StridedCopyParams p);

// Performs the copy. `in` and `out` must not overlap. Recursion depth is the rank.
void StridedCopy(const StridedCopyParams& p, const void* in, void* out);

// Gather along one axis, with the data viewed as [outer, axis_size, inner]:
//   out[o, j, i] = data[o, idx(j), i],   idx(j) = indices[j] < 0 ? indices[j] + axis_size
//                                                                 : indices[j]
// out is [outer, index_count, inner].
struct GatherParams {
  int64_t outer = 1;
  int64_t axis_size = 0;
  int64_t inner = 1;  // elements per gathered slice
  size_t element_size = 0;
};

// Position of the first index outside [-axis_size, axis_size), or -1 if all are valid.
int64_t FindOutOfRangeIndex(const int64_t* indices, int64_t index_count, int64_t axis_size);
int64_t FindOutOfRangeIndex(const int32_t* indices, int64_t index_count, int64_t axis_size);

// Every index must be valid (see FindOutOfRangeIndex).
void Gather(const GatherParams& p, const int64_t* indices, int64_t index_count, const void* data, void* out);
void Gather(const GatherParams& p, const int32_t* indices, int64_t index_count, const void* data, void* out);

}  // namespace kinglet::kernels::reference
