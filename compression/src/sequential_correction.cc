#include "sequential_correction.h"

#include <algorithm>
#include <random>

#include "calibration.h"
#include "quantize/hessian.h"
#include "quantize/least_squares_refit.h"

namespace kinglet::compression {
namespace {

namespace q = quantize;

// Both captures of a layer sample the same conv patches: one seed per layer.
uint32_t PatchSeed(size_t layer) { return 7919u + static_cast<uint32_t>(layer); }

int64_t ElementsPerRow(const ir::Graph& graph, int32_t value) {
  const ir::Value& v = graph.values[value];
  if (!v.shape_known || v.shape.empty()) return 0;
  int64_t n = 1;
  for (size_t d = 1; d < v.shape.size(); ++d) n *= std::max<int64_t>(v.shape[d], 1);
  return n;
}

Result<q::Matrix> InputRows(const ir::Graph& graph, const LayerView& layer, const Tensor& calibration,
                            size_t index) {
  KINGLET_ASSIGN_OR_RETURN(std::vector<Tensor> captured, CaptureValues(graph, calibration, {layer.input}));
  std::mt19937 rng(PatchSeed(index));
  KINGLET_ASSIGN_OR_RETURN(std::vector<float> rows,
                           LayerInputRows(graph, layer, captured[0], 0, SequentialCorrector::kPatches, &rng));
  return ToMatrix(rows, static_cast<int64_t>(rows.size()) / layer.cols, layer.cols);
}

size_t TensorBytes(const Tensor& t) { return t.dtype() == DataType::kUndefined ? 0 : t.byte_size(); }

}  // namespace

SequentialCorrector::SequentialCorrector(const ir::Graph& base, const std::vector<LayerView>& layers,
                                         const Tensor& calibration)
    : base_(base), layers_(layers), targets_(layers.size()) {
  int64_t widest = 1;
  for (const LayerView& l : layers) widest = std::max(widest, ElementsPerRow(base, l.input));
  Shape shape = calibration.shape();
  shape[0] = std::min(shape[0], std::max<int64_t>(1, std::min(kRows, kCaptureFloats / widest)));
  calibration_ = Tensor::View(DataType::kFloat32, shape, const_cast<void*>(calibration.raw_data()));
}

Status SequentialCorrector::PrepareTarget(size_t i) {
  Target& t = targets_[i];
  if (t.ready) return Status::Ok();
  const LayerView& l = layers_[i];
  KINGLET_ASSIGN_OR_RETURN(t.x, InputRows(base_, l, calibration_, i));
  const q::Matrix w = ToMatrix(WeightMatrix(base_, l), l.rows, l.cols);
  t.y = q::Matrix(t.x.rows, l.rows);
  t.mean.assign(static_cast<size_t>(l.cols), 0.0);
  for (int64_t s = 0; s < t.x.rows; ++s) {
    const float* x = t.x.row(s);
    for (int64_t c = 0; c < l.cols; ++c) t.mean[c] += x[c];
    for (int64_t r = 0; r < l.rows; ++r) {
      const float* wr = w.row(r);
      double acc = 0;
      for (int64_t c = 0; c < l.cols; ++c) acc += double(wr[c]) * x[c];
      t.y(s, r) = static_cast<float>(acc);
    }
  }
  for (double& m : t.mean) m /= std::max<int64_t>(t.x.rows, 1);
  t.ready = true;
  return Status::Ok();
}

Result<SequentialCorrector::Corrected> SequentialCorrector::Correct(size_t i, const LayerChoice& choice,
                                                                    const ir::Graph& graph) {
  KINGLET_RETURN_IF_ERROR(PrepareTarget(i));
  const Target& target = targets_[i];
  const LayerView& l = layers_[i];
  KINGLET_ASSIGN_OR_RETURN(q::Matrix moved, InputRows(graph, l, calibration_, i));
  if (moved.rows != target.x.rows) {
    return Status::Internal("sequential correction: layer '" + base_.nodes[l.node].name + "' gave " +
                            std::to_string(moved.rows) + " input rows, its target " +
                            std::to_string(target.x.rows));
  }
  LayerStats stats;
  q::HessianAccumulator acc(l.cols);
  KINGLET_RETURN_IF_ERROR(acc.AddRows(moved));
  stats.h = acc.Hessian();
  stats.mean = acc.Mean();
  stats.reconstruct = true;
  KINGLET_ASSIGN_OR_RETURN(q::MatrixD xty, q::CrossMoment(moved, target.y));

  const q::Matrix w = ToMatrix(WeightMatrix(base_, l), l.rows, l.cols);
  // The mask the search chose: the layer as compressed against the uncompressed activations.
  q::Mask keep(l.rows, l.cols, 1);
  if (choice.sparsity > 0) keep = q::NonzeroMask(ToMatrix(WeightMatrix(graph, l), l.rows, l.cols));
  KINGLET_ASSIGN_OR_RETURN(q::Matrix refit, q::RefitToTargets(w, keep, stats.h, xty));
  KINGLET_ASSIGN_OR_RETURN(LayerOutcome out, CompressLayer(base_, l, stats, choice, w, refit));

  Corrected c;
  c.weight = DecodeToDense(out.stored);
  c.stored = std::move(out.stored);
  if (l.bias != ir::kNoValue) {
    // E[W x] - E[W^ x~] = (W - W^) E[x~] (CompressLayer's correction) + W (E[x] - E[x~]).
    c.bias = base_.constants.at(l.bias).Clone();
    float* b = c.bias.data<float>();
    for (int64_t r = 0; r < l.rows; ++r) {
      double shift = out.bias_delta.empty() ? 0.0 : out.bias_delta[r];
      for (int64_t k = 0; k < l.cols; ++k) shift += double(w(r, k)) * (target.mean[k] - stats.mean[k]);
      b[r] += static_cast<float>(shift);
    }
  }
  return c;
}

Status SequentialCorrector::Apply(const std::vector<LayerChoice>& choices, ir::Graph* graph,
                                  std::map<int32_t, CompressedTensor>* stored) {
  Prefix prefix;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const LayerView& l = layers_[i];
    prefix.emplace_back(choices[i].sparsity, choices[i].bits);
    if ((choices[i].sparsity == 0 && choices[i].bits == 0) || l.group != 1) continue;
    auto it = corrected_.find(prefix);
    if (it == corrected_.end()) {
      KINGLET_ASSIGN_OR_RETURN(Corrected c, Correct(i, choices[i], *graph));
      const size_t bytes = TensorBytes(c.weight) + TensorBytes(c.bias);
      if (cached_bytes_ + bytes > kCacheBytes) {
        corrected_.clear();
        cached_bytes_ = 0;
      }
      cached_bytes_ += bytes;
      it = corrected_.emplace(prefix, std::move(c)).first;
    }
    graph->constants[l.weight] = it->second.weight;
    if (l.bias != ir::kNoValue) graph->constants[l.bias] = it->second.bias;
    (*stored)[l.weight] = it->second.stored;
  }
  return Status::Ok();
}

}  // namespace kinglet::compression
