#include "quantize/sparsegpt.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "quantize/cholesky.h"

namespace kinglet::compression::quantize {

Result<Matrix> SparseGptPrune(const Matrix& w, const MatrixD& h, double sparsity,
                              const SparseGptOptions& options) {
  KINGLET_RETURN_IF_ERROR(CheckReconstructionInputs(w, h, options.block_size, "SparseGPT"));
  if (!(sparsity >= 0.0 && sparsity <= 1.0)) {
    return Status::InvalidArgument("SparseGPT: sparsity must be in [0, 1], got " + std::to_string(sparsity));
  }
  if (w.size() == 0) return w;
  KINGLET_ASSIGN_OR_RETURN(MatrixD u, DampedInverseUpperFactor(h, options.relative_damp));

  const int64_t rows = w.rows, n = w.cols;
  Mask keep(n, rows, 1);  // transposed like the sweep's weights: keep(col, row)
  int64_t pruned_so_far = 0;
  std::vector<double> score;
  std::vector<int64_t> order;

  ColumnSweepHooks hooks;
  hooks.on_block = [&](int64_t begin, int64_t end, const MatrixD& wt, const MatrixD& uf) {
    const int64_t count = (end - begin) * rows;
    score.assign(static_cast<size_t>(count), 0.0);
    int64_t forced = 0;
    for (int64_t c = begin; c < end; ++c) {
      const double d = uf(c, c);
      // Damping gives a dead input a cost lambda * w^2 it does not have; its true saliency is 0.
      const bool dead = h(c, c) == 0.0;
      for (int64_t r = 0; r < rows; ++r) {
        const size_t k = static_cast<size_t>((c - begin) * rows + r);
        if (w(r, c) == 0.0f) {
          score[k] = -1.0;  // an earlier mask: pruned first, whatever the quota
          ++forced;
        } else if (dead) {
          score[k] = 0.0;  // input never active in calibration: removing it costs nothing
        } else {
          const double v = wt(c, r);
          score[k] = v * v / (d * d);
        }
      }
    }
    const int64_t target = std::llround(sparsity * static_cast<double>(end * rows));
    const int64_t prune = std::min(count, std::max(forced, target - pruned_so_far));
    pruned_so_far += prune;
    if (prune == 0) return;
    order.resize(static_cast<size_t>(count));
    std::iota(order.begin(), order.end(), 0);
    auto less = [&](int64_t a, int64_t b) {
      const double sa = score[static_cast<size_t>(a)], sb = score[static_cast<size_t>(b)];
      return sa < sb || (sa == sb && a < b);
    };
    if (prune < count) std::nth_element(order.begin(), order.begin() + (prune - 1), order.end(), less);
    for (int64_t i = 0; i < prune; ++i) {
      const int64_t k = order[static_cast<size_t>(i)];
      keep(begin + k / rows, k % rows) = 0;
    }
  };
  const ScalarQuantizer& quantizer = options.quantizer;
  hooks.target = [&](int64_t col, int64_t row, double value) -> double {
    if (!keep(col, row)) return 0.0;
    return quantizer ? static_cast<double>(quantizer(row, static_cast<float>(value))) : value;
  };
  return SweepColumns(w, u, options.block_size, hooks);
}

}  // namespace kinglet::compression::quantize
