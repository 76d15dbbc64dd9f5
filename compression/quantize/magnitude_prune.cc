#include "quantize/magnitude_prune.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace kinglet::compression::quantize {

Result<Mask> MagnitudePruneMask(const Matrix& w, double sparsity) {
  KINGLET_RETURN_IF_ERROR(CheckMatrix(w, "weight"));
  if (!(sparsity >= 0.0 && sparsity <= 1.0)) {
    return Status::InvalidArgument("sparsity must be in [0, 1], got " + std::to_string(sparsity));
  }
  const int64_t n = w.size();
  const int64_t prune = std::min<int64_t>(n, std::llround(sparsity * static_cast<double>(n)));
  Mask mask(w.rows, w.cols, 1);
  if (prune == 0) return mask;
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  // A strict total order on (|w|, index): nth_element's result is then unique, hence deterministic.
  auto smaller = [&w](int64_t a, int64_t b) {
    const float fa = std::fabs(w.values[static_cast<size_t>(a)]);
    const float fb = std::fabs(w.values[static_cast<size_t>(b)]);
    return fa < fb || (fa == fb && a < b);
  };
  if (prune < n) std::nth_element(order.begin(), order.begin() + (prune - 1), order.end(), smaller);
  for (int64_t i = 0; i < prune; ++i) mask.values[static_cast<size_t>(order[static_cast<size_t>(i)])] = 0;
  return mask;
}

Result<Matrix> MagnitudePrune(const Matrix& w, double sparsity) {
  KINGLET_ASSIGN_OR_RETURN(Mask mask, MagnitudePruneMask(w, sparsity));
  Matrix pruned = w;
  ApplyMask(mask, &pruned);
  return pruned;
}

}  // namespace kinglet::compression::quantize
