// Reference reductions over any set of axes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kinglet::kernels::reference {

// How to walk the input of a reduction. Dims of size 1 are dropped and neighbouring dims that
// are both reduced or both kept are merged, so reducing the last axes (or the first) is a
// single pair of loops. Always has at least one dim.
struct ReducePlan {
  std::vector<int64_t> dims;
  std::vector<int64_t> in_strides;
  std::vector<int64_t> out_strides;  // 0 on reduced dims
  int64_t reduced_count = 1;         // input elements folded into each output element
  int64_t out_count = 1;
};

// `reduce_axis[d]` says whether dim d of `in_shape` is reduced. The output keeps the kept dims
// in order (whether reduced dims stay as 1s does not change the memory layout).
ReducePlan PlanReduce(const std::vector<int64_t>& in_shape, const std::vector<bool>& reduce_axis);

// Mean of the reduced elements; an empty reduction gives NaN (0/0), as numpy does.
void ReduceMean(const ReducePlan& p, const float* x, float* y);

}  // namespace kinglet::kernels::reference
