// Per-layer sensitivity scan (Han et al. 2015, Sec. 3.4 / Deep Compression Fig. 5): prune one
// layer at increasing sparsities, measure the network, keep the largest sparsity whose measured
// quality stays within a tolerance of the unpruned baseline.
#pragma once

#include <functional>
#include <vector>

#include "kinglet/status.h"

namespace kinglet::compression::quantize {

struct SensitivityPoint {
  float sparsity = 0.0f;
  double score = 0.0;  // what Evaluate returned (higher is better, e.g. top-1 accuracy)
  bool within_tolerance = false;
};

struct SensitivityScanResult {
  double baseline = 0.0;                 // Evaluate(0)
  float chosen_sparsity = 0.0f;          // largest scanned sparsity within tolerance; 0 if none is
  std::vector<SensitivityPoint> points;  // in scan (ascending sparsity) order, baseline excluded
};

struct SensitivityScanOptions {
  // A sparsity s passes if Evaluate(s) >= baseline - tolerance (same units as Evaluate's result).
  double tolerance = 0.005;
  // Accuracy almost always falls monotonically with sparsity, so after the first failure the rest
  // would very likely fail too; stopping saves engine runs. false scans every sparsity and picks
  // the largest passing one even past a failure.
  bool stop_at_first_failure = true;
};

// Evaluate(s) is called with s = 0 first (the baseline), then with each requested sparsity in
// ascending order (duplicates removed). A non-finite score is an error (the callback failed);
// sparsities must lie in [0, 1]. The callback is the caller's: it prunes the layer at s and runs
// the engine; this function only decides.
Result<SensitivityScanResult> ScanSensitivity(std::vector<float> sparsities,
                                              const SensitivityScanOptions& options,
                                              const std::function<double(float sparsity)>& evaluate);

}  // namespace kinglet::compression::quantize
