#include "quantize/error_feedback_quantize.h"

#include <memory>
#include <string>
#include <utility>

#include "quantize/cholesky.h"
#include "quantize/kmeans.h"

namespace kinglet::compression::quantize {

Result<Matrix> QuantizeWithErrorFeedback(const Matrix& w, const MatrixD& h, const ScalarQuantizer& quantizer,
                                         const ErrorFeedbackOptions& options) {
  KINGLET_RETURN_IF_ERROR(CheckReconstructionInputs(w, h, options.block_size, "error-feedback quantization"));
  if (!quantizer) return Status::InvalidArgument("error-feedback quantization needs a quantizer");
  if (w.size() == 0) return w;
  KINGLET_ASSIGN_OR_RETURN(MatrixD u, DampedInverseUpperFactor(h, options.relative_damp));
  ColumnSweepHooks hooks;
  hooks.target = [&](int64_t col, int64_t row, double value) -> double {
    if (w(row, col) == 0.0f) return 0.0;
    return quantizer(row, static_cast<float>(value));
  };
  return SweepColumns(w, u, options.block_size, hooks);
}

ScalarQuantizer CodebookQuantizer(std::vector<float> sorted_centroids) {
  auto c = std::make_shared<const std::vector<float>>(std::move(sorted_centroids));
  return [c](int64_t, float v) {
    const int i = NearestCentroid(*c, v);
    return i < 0 ? 0.0f : (*c)[static_cast<size_t>(i)];
  };
}

ScalarQuantizer Int8GridQuantizer(Int8PerChannel grid) {
  auto g = std::make_shared<const Int8PerChannel>(std::move(grid));
  return [g](int64_t row, float v) { return NearestInt8GridValue(*g, row, v); };
}

}  // namespace kinglet::compression::quantize
