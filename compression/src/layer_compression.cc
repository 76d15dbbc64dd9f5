#include "layer_compression.h"

#include <algorithm>

#include "quantize/bias_correction.h"
#include "quantize/error_feedback_quantize.h"
#include "quantize/hessian.h"
#include "quantize/kmeans.h"

namespace kinglet::compression {

namespace q = quantize;

q::Matrix ToMatrix(const std::vector<float>& values, int64_t rows, int64_t cols) {
  q::Matrix m(rows, cols);
  m.values = values;
  return m;
}

Result<LayerOutcome> CompressLayer(const ir::Graph& graph, const LayerView& layer, const LayerStats& stats,
                                   const LayerChoice& choice, const q::Matrix& w, const q::Matrix& pruned) {
  LayerOutcome out;
  out.weight = pruned;
  std::vector<float> centroids;
  if (choice.bits > 0) {
    q::KMeansOptions options;
    options.bits = choice.bits;
    const q::Matrix importance =
        stats.reconstruct ? q::HessianDiagonalImportance(stats.h, layer.rows) : q::Matrix();
    KINGLET_ASSIGN_OR_RETURN(q::KMeansCodebook codebook,
                             q::KMeansQuantize(pruned, options, stats.reconstruct ? &importance : nullptr));
    if (stats.reconstruct && !codebook.centroids.empty()) {
      KINGLET_ASSIGN_OR_RETURN(
          q::Matrix snapped,
          q::QuantizeWithErrorFeedback(pruned, stats.h, q::CodebookQuantizer(codebook.centroids)));
      KINGLET_ASSIGN_OR_RETURN(codebook, q::EncodeWithCodebook(snapped, codebook.centroids));
    }
    out.weight = codebook.Decode();
    centroids = codebook.centroids;
  }
  if (stats.reconstruct && layer.bias != ir::kNoValue) {
    KINGLET_ASSIGN_OR_RETURN(out.bias_delta, q::BiasCorrection(w, out.weight, stats.mean));
  }

  // Storage: positions of nonzeros when sparse, the codebook (or float values) for them.
  CompressedTensor& t = out.stored;
  t.shape = graph.constants.at(layer.weight).shape();
  const q::Matrix& final_w = out.weight;
  std::vector<float> stored_layout(static_cast<size_t>(layer.rows * layer.cols));
  for (int64_t r = 0; r < layer.rows; ++r) {
    for (int64_t c = 0; c < layer.cols; ++c) {
      (layer.transposed ? stored_layout[c * layer.rows + r] : stored_layout[r * layer.cols + c]) =
          final_w(r, c);
    }
  }
  // The tensor's element order differs from the matrix's when transposed: store in tensor order
  // and look each value's centroid up again (values are exactly centroids after Decode()).
  const bool sparse = choice.sparsity > 0;
  std::vector<int64_t> positions;
  std::vector<float> values;
  for (size_t i = 0; i < stored_layout.size(); ++i) {
    if (sparse && stored_layout[i] == 0.0f) continue;
    positions.push_back(static_cast<int64_t>(i));
    values.push_back(stored_layout[i]);
  }
  if (sparse) t.positions = positions;
  if (choice.bits > 0) {
    t.coding = ValueCoding::kCodebook;
    t.codebook.bits = choice.bits;
    t.codebook.centroids = centroids;
    for (float v : values) {
      const int c = q::NearestCentroid(centroids, v);
      t.codebook.indices.push_back(static_cast<uint8_t>(std::max(c, 0)));
    }
  } else {
    t.coding = ValueCoding::kFloat32;
    t.values = values;
  }
  ChooseSmallestCodings(&t);
  return out;
}

}  // namespace kinglet::compression
