// Sequential correction: each layer's setting is compressed against the uncompressed model's
// activations, but in the artifact a layer sees the output of compressed layers upstream. In
// graph order, every compressed layer's kept weights are refit to reproduce the uncompressed
// layer's output from the inputs it really gets (quantize::RefitToTargets, the sequential mode of
// OBC/GPTQ/SparseGPT), quantized again on the same grid with error feedback, and its bias takes
// the remaining mean shift. The layer so absorbs what it can of the error upstream.
//
// Measured with the search using it for every candidate (`compression_bench`, max drop 0.5 pp):
// LeNet-5 43,451 -> 30,779 bytes (39.7x -> 56.1x; fc1 4 -> 2 bits, conv2 70% -> 85% sparse);
// LeNet-300 24,701 -> 24,701 bytes (drop 0.43 -> 0.36 pp); firenet 29,628 -> 30,588 bytes, and
// its search took 378 -> 775 s. Held-out logit MSE of LeNet-5 at 80% sparse 3-bit: 9.4 -> 0.52
// (tests/compression/sequential_correction_test).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "encode/compressed_tensor.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"
#include "layer_compression.h"
#include "layer_view.h"

namespace kinglet::compression {

class SequentialCorrector {
 public:
  // `base`: the graph every choice applies to (it must outlive the corrector); `calibration`:
  // float32 [N, ...] inputs, of which at most kRows are used, fewer when the layers' inputs are
  // large (each capture holds at most kCaptureFloats activations).
  SequentialCorrector(const ir::Graph& base, const std::vector<LayerView>& layers, const Tensor& calibration);

  // `graph` is `base` with `choices` applied (compressed weights and bias corrections) and
  // `stored` their stored forms; both are corrected in place. Layers left float32 and dense,
  // and grouped convolutions, are not touched (they still move downstream layers' inputs).
  Status Apply(const std::vector<LayerChoice>& choices, ir::Graph* graph,
               std::map<int32_t, CompressedTensor>* stored);

  static constexpr int64_t kRows = 4096;
  static constexpr int64_t kCaptureFloats = int64_t{1} << 24;
  static constexpr int64_t kPatches = 8192;  // im2col rows per conv layer
  // Corrected layers are kept for reuse up to this many bytes, then the cache starts over.
  static constexpr size_t kCacheBytes = size_t{256} << 20;

 private:
  // What the uncompressed layer sees and answers, the same for every candidate.
  struct Target {
    bool ready = false;
    quantize::Matrix x;        // input rows [n, cols]
    quantize::Matrix y;        // W x per row [n, rows], bias aside
    std::vector<double> mean;  // E[x]
  };
  // A corrected layer; the correction depends on the choices of this layer and all before it.
  struct Corrected {
    CompressedTensor stored;
    Tensor weight;
    Tensor bias;  // undefined when the layer has none
  };
  using Prefix = std::vector<std::pair<double, int>>;

  Status PrepareTarget(size_t layer);
  Result<Corrected> Correct(size_t layer, const LayerChoice& choice, const ir::Graph& graph);

  const ir::Graph& base_;
  std::vector<LayerView> layers_;
  Tensor calibration_;
  std::vector<Target> targets_;
  std::map<Prefix, Corrected> corrected_;
  size_t cached_bytes_ = 0;
};

}  // namespace kinglet::compression
