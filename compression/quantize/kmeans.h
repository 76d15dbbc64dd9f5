// Weight sharing by 1-D k-means (Han et al., Deep Compression, ICLR 2016, Sec. 3): a layer's kept
// weights are replaced by the nearest of 2^bits shared values, stored as a codebook + n-bit indices.
#pragma once

#include <cstdint>
#include <vector>

#include "kinglet/status.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize {

enum class KMeansInit {
  // Centroids evenly spaced over [min, max] of the kept weights. Deep Compression Sec. 3.1 / Fig. 4
  // found it best: large weights are rare but matter most, and density init under-represents them.
  kLinear,
  // Centroids at the (importance-weighted) quantiles (j + 0.5) / k of the kept weights: more
  // centroids where weights are dense. Better raw MSE, worse for the rare large weights.
  kDensity,
};

struct KMeansOptions {
  int bits = 4;  // 1..8: at most 2^bits centroids
  KMeansInit init = KMeansInit::kLinear;
  int max_iterations = 300;  // Lloyd iterations; 1-D Lloyd usually stops after a few dozen
};

// Index of a weight that is exactly zero (pruned): it is not in the codebook and decodes to 0.
constexpr int16_t kPrunedIndex = -1;

struct KMeansCodebook {
  int64_t rows = 0;
  int64_t cols = 0;
  // Sorted ascending, strictly increasing, at most 2^bits entries; fewer when the layer has fewer
  // distinct kept values (then the codebook is exact) or when a cluster ends up empty.
  std::vector<float> centroids;
  // One per weight, row-major: index into centroids, or kPrunedIndex where the weight is 0.
  std::vector<int16_t> indices;
  int iterations = 0;      // Lloyd iterations run
  bool converged = false;  // assignments stopped changing before max_iterations

  // The shared-weight matrix [rows, cols]: centroids[index], 0 where pruned.
  Matrix Decode() const;
};

// Clusters the nonzero weights of `w` (zeros are pruned synapses: they stay exactly zero and take
// no part in clustering). `importance`, if given, has w's shape and holds a weight >= 0 per entry:
// Lloyd then minimises sum_i importance_i (w_i - c(w_i))^2, so clusters follow the weights that move
// the output most (with importance = diag(H), this is the diagonal of the layer output error,
// tr(dW H dW^T)). Deterministic: no random init, ties go to the lower centroid.
// Cost: O(n log n) sort + O(k log n) per iteration (prefix sums over the sorted values).
Result<KMeansCodebook> KMeansQuantize(const Matrix& w, const KMeansOptions& options,
                                      const Matrix* importance = nullptr);

// Re-indexes `w` against a fixed sorted codebook (e.g. after QuantizeWithErrorFeedback snapped the
// weights onto KMeansQuantize's centroids): nearest centroid per nonzero weight, kPrunedIndex for
// zeros. Errors: NaN weights, an empty codebook with nonzero weights, unsorted or > 256 centroids.
Result<KMeansCodebook> EncodeWithCodebook(const Matrix& w, std::vector<float> sorted_centroids);

// Importance matrix [rows, H.cols] with every row equal to diag(H): column j's input energy.
Matrix HessianDiagonalImportance(const MatrixD& h, int64_t rows);

// Index of the centroid nearest to v in a sorted codebook (ties to the lower one); -1 if empty.
int NearestCentroid(const std::vector<float>& sorted_centroids, float v);

}  // namespace kinglet::compression::quantize
