#include "quantize/bias_correction.h"

#include <string>

namespace kinglet::compression::quantize {

Result<std::vector<float>> BiasCorrection(const Matrix& w, const Matrix& w_hat,
                                          const std::vector<double>& mu) {
  if (w.rows != w_hat.rows || w.cols != w_hat.cols || static_cast<int64_t>(mu.size()) != w.cols) {
    return Status::InvalidArgument(
        "bias correction: W is " + std::to_string(w.rows) + "x" + std::to_string(w.cols) + ", W_hat " +
        std::to_string(w_hat.rows) + "x" + std::to_string(w_hat.cols) + ", input mean has " +
        std::to_string(mu.size()) + " entries; need equal weight shapes and one mean per weight column");
  }
  std::vector<float> correction(static_cast<size_t>(w.rows));
  for (int64_t r = 0; r < w.rows; ++r) {
    double s = 0.0;
    for (int64_t c = 0; c < w.cols; ++c) {
      s += (static_cast<double>(w(r, c)) - static_cast<double>(w_hat(r, c))) * mu[static_cast<size_t>(c)];
    }
    correction[static_cast<size_t>(r)] = static_cast<float>(s);
  }
  return correction;
}

}  // namespace kinglet::compression::quantize
