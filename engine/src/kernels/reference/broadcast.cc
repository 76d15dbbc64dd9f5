#include "kernels/reference/broadcast.h"

namespace kinglet::kernels::reference {
namespace {

// Row-major strides of `in` right-aligned to `out`, 0 where `in` has size 1.
std::vector<int64_t> AlignedStrides(const std::vector<int64_t>& in, size_t out_rank) {
  std::vector<int64_t> s(out_rank, 0);
  const size_t offset = out_rank - in.size();
  int64_t stride = 1;
  for (size_t i = in.size(); i-- > 0;) {
    s[offset + i] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return s;
}

}  // namespace

BroadcastPlan PlanBroadcast(const std::vector<int64_t>& a_shape,
                            const std::vector<int64_t>& b_shape,
                            const std::vector<int64_t>& out_shape) {
  const std::vector<int64_t> sa = AlignedStrides(a_shape, out_shape.size());
  const std::vector<int64_t> sb = AlignedStrides(b_shape, out_shape.size());
  BroadcastPlan p;
  for (size_t d = 0; d < out_shape.size(); ++d) {
    const int64_t n = out_shape[d];
    if (n == 1) continue;  // contributes no offset
    // Merging dim d into the previous one is exact when, for every operand, stepping the
    // previous dim once equals stepping dim d n times.
    if (!p.dims.empty() && p.a_strides.back() == sa[d] * n && p.b_strides.back() == sb[d] * n) {
      p.dims.back() *= n;
      p.a_strides.back() = sa[d];
      p.b_strides.back() = sb[d];
      continue;
    }
    p.dims.push_back(n);
    p.a_strides.push_back(sa[d]);
    p.b_strides.push_back(sb[d]);
  }
  if (p.dims.empty()) {
    p.dims = {1};
    p.a_strides = {0};
    p.b_strides = {0};
  }
  p.y_strides.assign(p.dims.size(), 1);
  for (size_t d = p.dims.size() - 1; d-- > 0;) p.y_strides[d] = p.y_strides[d + 1] * p.dims[d + 1];
  return p;
}

}  // namespace kinglet::kernels::reference
