#include "quantize/sensitivity_scan.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace kinglet::compression::quantize {

Result<SensitivityScanResult> ScanSensitivity(std::vector<float> sparsities,
                                              const SensitivityScanOptions& options,
                                              const std::function<double(float sparsity)>& evaluate) {
  if (!evaluate) return Status::InvalidArgument("sensitivity scan needs an Evaluate callback");
  if (!(options.tolerance >= 0.0)) {
    return Status::InvalidArgument("sensitivity tolerance must be >= 0, got " +
                                   std::to_string(options.tolerance));
  }
  for (float s : sparsities) {
    if (!(s >= 0.0f && s <= 1.0f)) {
      return Status::InvalidArgument("sensitivity scan: sparsity " + std::to_string(s) +
                                     " is outside [0, 1]");
    }
  }
  std::sort(sparsities.begin(), sparsities.end());
  sparsities.erase(std::unique(sparsities.begin(), sparsities.end()), sparsities.end());

  SensitivityScanResult result;
  result.baseline = evaluate(0.0f);
  if (!std::isfinite(result.baseline)) {
    return Status::InvalidArgument("sensitivity scan: Evaluate(0) returned a non-finite score");
  }
  for (float s : sparsities) {
    if (s == 0.0f) continue;
    SensitivityPoint point;
    point.sparsity = s;
    point.score = evaluate(s);
    if (!std::isfinite(point.score)) {
      return Status::InvalidArgument("sensitivity scan: Evaluate(" + std::to_string(s) +
                                     ") returned a non-finite score");
    }
    point.within_tolerance = point.score >= result.baseline - options.tolerance;
    result.points.push_back(point);
    if (point.within_tolerance) {
      result.chosen_sparsity = s;
    } else if (options.stop_at_first_failure) {
      break;
    }
  }
  return result;
}

}  // namespace kinglet::compression::quantize
