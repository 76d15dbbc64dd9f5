#include "kinglet/compression/compress.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "calibration.h"
#include "encode/compressed_tensor.h"
#include "kinglet/compression/evaluate.h"
#include "kinglet/compression/kgl_writer.h"
#include "kinglet/compression/onnx_importer.h"
#include "kinglet/model.h"
#include "layer_view.h"
#include "passes/pipeline.h"
#include "quantize/bias_correction.h"
#include "quantize/error_feedback_quantize.h"
#include "quantize/hessian.h"
#include "quantize/kmeans.h"
#include "quantize/magnitude_prune.h"
#include "quantize/sparsegpt.h"

namespace kinglet::compression {
namespace {

namespace q = quantize;

// Rows of calibration patches per conv layer: H has at most a few thousand dims, and a few 10^4
// samples estimate it well (see quantize/hessian.h).
constexpr int64_t kPatchesPerLayer = 20000;
// Layers this small are stored as float: their bytes do not matter, their accuracy may.
constexpr int64_t kMinCompressibleWeights = 256;
// Bound on the final refinement's full evaluations.
constexpr int kMaxAscentTrials = 40;

struct LayerStats {
  q::MatrixD h;
  std::vector<double> mean;
  bool reconstruct = false;  // H is available (group == 1)
};

struct LayerChoice {
  double sparsity = 0;
  int bits = 0;  // 0 = keep float32
};

// The result of compressing one layer's weight: its decoded values and how they are stored.
struct LayerOutcome {
  q::Matrix weight;
  std::vector<float> bias_delta;  // added to the bias (bias correction); empty if none
  CompressedTensor stored;
};

const std::vector<double>& SparsityGrid(Profile p) {
  static const std::vector<double> kLow = {0.0, 0.3, 0.5};
  static const std::vector<double> kMid = {0.0, 0.3, 0.5, 0.6, 0.7, 0.8};
  static const std::vector<double> kHigh = {0.0,  0.3,  0.5,  0.6,  0.7,  0.8,  0.85, 0.88,
                                            0.9,  0.92, 0.94, 0.95, 0.96, 0.97, 0.98};
  return p == Profile::kLow ? kLow : p == Profile::kMid ? kMid : kHigh;
}

const std::vector<int>& BitsGrid(Profile p) {  // tried from the smallest up
  static const std::vector<int> kLow = {8};
  static const std::vector<int> kMid = {4, 5, 6, 8};
  static const std::vector<int> kHigh = {2, 3, 4, 5, 6, 8};
  return p == Profile::kLow ? kLow : p == Profile::kMid ? kMid : kHigh;
}

q::Matrix ToMatrix(const std::vector<float>& values, int64_t rows, int64_t cols) {
  q::Matrix m(rows, cols);
  m.values = values;
  return m;
}

Result<LayerOutcome> CompressLayer(const ir::Graph& graph, const LayerView& layer, const LayerStats& stats,
                                   const LayerChoice& choice) {
  const std::string name = graph.nodes[layer.node].name;
  const q::Matrix w = ToMatrix(WeightMatrix(graph, layer), layer.rows, layer.cols);
  KINGLET_RETURN_IF_ERROR(q::CheckMatrix(w, "weight of '" + name + "'"));
  LayerOutcome out;
  q::Matrix pruned = w;
  if (choice.sparsity > 0) {
    if (stats.reconstruct) {
      KINGLET_ASSIGN_OR_RETURN(pruned, q::SparseGptPrune(w, stats.h, choice.sparsity));
    } else {
      KINGLET_ASSIGN_OR_RETURN(pruned, q::MagnitudePrune(w, choice.sparsity));
    }
  }
  out.weight = pruned;
  std::vector<float> centroids;
  if (choice.bits > 0) {
    q::KMeansOptions options;
    options.bits = choice.bits;
    const q::Matrix importance = stats.reconstruct ? q::HessianDiagonalImportance(stats.h, layer.rows) : q::Matrix();
    KINGLET_ASSIGN_OR_RETURN(q::KMeansCodebook codebook,
                             q::KMeansQuantize(pruned, options, stats.reconstruct ? &importance : nullptr));
    if (stats.reconstruct && !codebook.centroids.empty()) {
      KINGLET_ASSIGN_OR_RETURN(q::Matrix snapped,
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
      (layer.transposed ? stored_layout[c * layer.rows + r] : stored_layout[r * layer.cols + c]) = final_w(r, c);
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

// The graph with every layer replaced by its compressed form.
Result<ir::Graph> ApplyChoices(const ir::Graph& base, const std::vector<LayerView>& layers,
                               const std::vector<LayerStats>& stats, const std::vector<LayerChoice>& choices,
                               std::map<int32_t, CompressedTensor>* stored) {
  ir::Graph g = base;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (choices[i].sparsity == 0 && choices[i].bits == 0) continue;
    KINGLET_ASSIGN_OR_RETURN(LayerOutcome out, CompressLayer(base, layers[i], stats[i], choices[i]));
    g.constants[layers[i].weight] = DecodeToDense(out.stored);
    if (!out.bias_delta.empty()) {
      Tensor bias = base.constants.at(layers[i].bias).Clone();
      for (int64_t k = 0; k < bias.element_count(); ++k) bias.data<float>()[k] += out.bias_delta[k];
      g.constants[layers[i].bias] = bias;
    }
    if (stored) (*stored)[layers[i].weight] = std::move(out.stored);
  }
  return g;
}

class AccuracyGuard {
 public:
  AccuracyGuard(const Tensor& inputs, const Tensor& labels, int64_t search_rows)
      : inputs_(inputs), labels_(labels), has_labels_(labels.dtype() != DataType::kUndefined) {
    const int64_t n = inputs.shape()[0];
    const int64_t s = std::min(n, std::max<int64_t>(search_rows, 1));
    Shape shape = inputs.shape();
    shape[0] = s;
    search_inputs_ = Tensor::View(DataType::kFloat32, shape, const_cast<void*>(inputs.raw_data()));
    if (has_labels_) {
      search_labels_ = Tensor::View(labels.dtype(), {s}, const_cast<void*>(labels.raw_data()));
    }
  }

  // Baseline accuracy (or the reference predictions) of the uncompressed graph.
  Status SetBaseline(const ir::Graph& graph) {
    KINGLET_ASSIGN_OR_RETURN(full_baseline_, Measure(graph, /*full=*/true));
    KINGLET_ASSIGN_OR_RETURN(search_baseline_, Measure(graph, /*full=*/false));
    return Status::Ok();
  }

  // Drop in percentage points against the baseline, on the search subset or every row.
  Result<double> Drop(const ir::Graph& graph, bool full) {
    KINGLET_ASSIGN_OR_RETURN(double acc, Measure(graph, full));
    last_accuracy_ = acc;
    return ((full ? full_baseline_ : search_baseline_) - acc) * 100.0;
  }

  double baseline() const { return has_labels_ ? full_baseline_ : 1.0; }
  bool search_is_full() const { return search_inputs_.shape()[0] == inputs_.shape()[0]; }
  double last_accuracy() const { return last_accuracy_; }
  bool has_labels() const { return has_labels_; }

 private:
  Result<double> Measure(const ir::Graph& graph, bool full) {
    KINGLET_ASSIGN_OR_RETURN(auto model, Model::FromGraph(graph));
    const Tensor& x = full ? inputs_ : search_inputs_;
    if (has_labels_) {
      KINGLET_ASSIGN_OR_RETURN(EvalResult r, EvaluateTop1(model, x, full ? labels_ : search_labels_));
      return r.accuracy();
    }
    KINGLET_ASSIGN_OR_RETURN(EvalResult r, Predict(model, x));
    std::vector<int64_t>& reference = full ? full_reference_ : search_reference_;
    if (reference.empty()) {
      reference = r.predictions;
      return 1.0;
    }
    int64_t agree = 0;
    for (size_t i = 0; i < reference.size(); ++i) agree += reference[i] == r.predictions[i];
    return double(agree) / reference.size();
  }

  Tensor inputs_, labels_, search_inputs_, search_labels_;
  bool has_labels_;
  double full_baseline_ = 0, search_baseline_ = 0, last_accuracy_ = 0;
  std::vector<int64_t> full_reference_, search_reference_;
};

Result<std::vector<LayerStats>> CollectStats(const ir::Graph& graph, const std::vector<LayerView>& layers,
                                             const Tensor& calibration) {
  std::vector<int32_t> values;
  for (const LayerView& l : layers) values.push_back(l.input);
  KINGLET_ASSIGN_OR_RETURN(std::vector<Tensor> captured, CaptureValues(graph, calibration, values));
  std::vector<LayerStats> stats(layers.size());
  std::mt19937 rng(12345);
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].group != 1) continue;  // per-group statistics: not yet
    KINGLET_ASSIGN_OR_RETURN(std::vector<float> rows,
                             LayerInputRows(graph, layers[i], captured[i], 0, kPatchesPerLayer, &rng));
    q::HessianAccumulator acc(layers[i].cols);
    KINGLET_RETURN_IF_ERROR(acc.AddRows(ToMatrix(rows, static_cast<int64_t>(rows.size()) / layers[i].cols, layers[i].cols)));
    stats[i].h = acc.Hessian();
    stats[i].mean = acc.Mean();
    stats[i].reconstruct = true;
  }
  return stats;
}

Status CheckData(const ir::Graph& graph, const Tensor& x, const Tensor& y, const Tensor& calib) {
  if (graph.inputs.size() != 1) return Status::InvalidArgument("xqueeze needs a model with exactly one input");
  const ir::Value& in = graph.values[graph.inputs[0]];
  for (const auto* t : {&x, &calib}) {
    const char* what = t == &x ? "evaluation inputs" : "calibration inputs";
    if (t->dtype() != DataType::kFloat32) return Status::InvalidArgument(std::string(what) + " must be float32");
    if (t->shape().empty() || t->shape()[0] == 0) return Status::InvalidArgument(std::string(what) + " are empty");
    if (in.shape_known && t->shape().size() != in.shape.size()) {
      return Status::InvalidArgument(std::string(what) + " have shape " + ShapeToString(t->shape()) +
                                     " but the model input '" + in.name + "' is " + ShapeToString(in.shape));
    }
    for (size_t d = 1; in.shape_known && d < in.shape.size(); ++d) {
      if (in.shape[d] >= 0 && in.shape[d] != t->shape()[d]) {
        return Status::InvalidArgument(std::string(what) + " have shape " + ShapeToString(t->shape()) +
                                       " but the model input '" + in.name + "' is " + ShapeToString(in.shape));
      }
    }
    const float* p = t->data<float>();
    for (int64_t i = 0; i < t->element_count(); ++i) {
      if (!std::isfinite(p[i])) return Status::InvalidArgument(std::string(what) + " contain NaN or Inf at element " + std::to_string(i));
    }
  }
  if (y.dtype() != DataType::kUndefined && (y.shape().size() != 1 || y.shape()[0] != x.shape()[0])) {
    return Status::InvalidArgument("labels have shape " + ShapeToString(y.shape()) + " but there are " +
                                   std::to_string(x.shape()[0]) + " evaluation rows");
  }
  for (const auto& [index, t] : graph.constants) {
    if (t.dtype() != DataType::kFloat32) continue;
    for (int64_t i = 0; i < t.element_count(); ++i) {
      if (!std::isfinite(t.data<float>()[i])) {
        return Status::InvalidArgument("weight '" + graph.values[index].name + "' contains NaN or Inf at element " +
                                       std::to_string(i) + "; the model is corrupt");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Profile> ParseProfile(const std::string& name) {
  if (name == "low") return Profile::kLow;
  if (name == "mid") return Profile::kMid;
  if (name == "high") return Profile::kHigh;
  return Status::InvalidArgument("profile must be low, mid or high, got '" + name + "'");
}

Result<CompressResult> Compress(const std::string& onnx_path, const Tensor& eval_inputs, const Tensor& eval_labels,
                                const Tensor& calibration, const CompressOptions& options) {
  auto progress = [&](const std::string& stage, double f) {
    if (options.progress) options.progress(stage, f);
  };
  if (!(options.max_drop_pp >= 0)) return Status::InvalidArgument("--max-drop must be >= 0");
  progress("import", 0);
  KINGLET_ASSIGN_OR_RETURN(ir::Graph graph, ImportOnnxFile(onnx_path));
  KINGLET_RETURN_IF_ERROR(passes::RunTransformPasses(&graph));
  KINGLET_RETURN_IF_ERROR(CheckData(graph, eval_inputs, eval_labels, calibration));

  CompressResult result;
  CompressReport& report = result.report;
  {
    std::FILE* f = std::fopen(onnx_path.c_str(), "rb");
    if (f) {
      std::fseek(f, 0, SEEK_END);
      report.onnx_bytes = static_cast<size_t>(std::ftell(f));
      std::fclose(f);
    }
  }
  KINGLET_ASSIGN_OR_RETURN(std::string dense, SerializeKgl(graph));
  report.dense_kgl_bytes = dense.size();

  AccuracyGuard guard(eval_inputs, eval_labels, options.search_rows);
  progress("baseline", 0);
  KINGLET_RETURN_IF_ERROR(guard.SetBaseline(graph));
  report.has_labels = guard.has_labels();
  report.accuracy_before = guard.baseline();

  const std::vector<LayerView> layers = FindLayers(graph);
  Shape calib_shape = calibration.shape();
  calib_shape[0] = std::min(calib_shape[0], options.calibration_rows);
  const Tensor calib = Tensor::View(DataType::kFloat32, calib_shape, const_cast<void*>(calibration.raw_data()));
  progress("calibrate", 0);
  KINGLET_ASSIGN_OR_RETURN(std::vector<LayerStats> stats, CollectStats(graph, layers, calib));

  // 1. Per-layer sensitivity: each layer alone, the most aggressive setting whose drop on the
  //    search rows stays within a share of the budget (the rest is left for their interaction).
  const double layer_budget = options.max_drop_pp * 0.4;
  const auto& sparsities = SparsityGrid(options.profile);
  const auto& bit_grid = BitsGrid(options.profile);
  std::vector<LayerChoice> choices(layers.size());
  std::vector<size_t> sparsity_level(layers.size(), 0), bits_level(layers.size(), bit_grid.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    progress("sensitivity", double(i) / layers.size());
    if (layers[i].rows * layers[i].cols < kMinCompressibleWeights) continue;
    std::vector<LayerChoice> trial(layers.size());
    for (size_t s = 1; s < sparsities.size(); ++s) {
      trial[i] = {sparsities[s], 0};
      KINGLET_ASSIGN_OR_RETURN(ir::Graph g, ApplyChoices(graph, layers, stats, trial, nullptr));
      KINGLET_ASSIGN_OR_RETURN(double drop, guard.Drop(g, false));
      if (drop > layer_budget) break;
      sparsity_level[i] = s;
    }
    for (size_t b = 0; b < bit_grid.size(); ++b) {
      trial[i] = {sparsities[sparsity_level[i]], bit_grid[b]};
      KINGLET_ASSIGN_OR_RETURN(ir::Graph g, ApplyChoices(graph, layers, stats, trial, nullptr));
      KINGLET_ASSIGN_OR_RETURN(double drop, guard.Drop(g, false));
      if (drop <= layer_budget) {
        bits_level[i] = b;
        break;
      }
    }
  }

  // 2. Together: back off one step at a time (the layer whose setting is most aggressive
  //    relative to its grid first) until the whole model fits the budget, first on the search
  //    rows, then on every row. The uncompressed graph always fits, so this ends.
  auto choice_of = [&](size_t i) {
    return LayerChoice{sparsities[sparsity_level[i]], bits_level[i] < bit_grid.size() ? bit_grid[bits_level[i]] : 0};
  };
  auto back_off = [&]() -> bool {
    size_t best = layers.size();
    double score = -1;
    for (size_t i = 0; i < layers.size(); ++i) {
      const double s = double(sparsity_level[i]) / sparsities.size() +
                       (bits_level[i] < bit_grid.size() ? double(bit_grid.size() - bits_level[i]) / bit_grid.size() : 0);
      if (s > score && (sparsity_level[i] > 0 || bits_level[i] < bit_grid.size())) {
        score = s;
        best = i;
      }
    }
    if (best == layers.size()) return false;
    if (sparsity_level[best] > 0) {
      --sparsity_level[best];
    } else {
      ++bits_level[best];
    }
    return true;
  };
  // A subset's measurement is noisier than the full set's: leave it a margin.
  const double search_budget = options.max_drop_pp * (guard.search_is_full() ? 1.0 : 0.8);
  ir::Graph chosen;
  std::map<int32_t, CompressedTensor> stored;
  for (int round = 0;; ++round) {
    progress("combine", std::min(1.0, round / 20.0));
    for (size_t i = 0; i < layers.size(); ++i) choices[i] = choice_of(i);
    stored.clear();
    KINGLET_ASSIGN_OR_RETURN(chosen, ApplyChoices(graph, layers, stats, choices, &stored));
    KINGLET_ASSIGN_OR_RETURN(double drop, guard.Drop(chosen, false));
    if (drop <= search_budget) {
      double full_drop = drop;
      if (!guard.search_is_full()) {
        KINGLET_ASSIGN_OR_RETURN(full_drop, guard.Drop(chosen, true));
      }
      if (full_drop <= options.max_drop_pp) {
        report.drop_pp = full_drop;
        report.accuracy_after = guard.last_accuracy();
        report.met_budget = true;
        break;
      }
    }
    if (!back_off()) {
      // Nothing compressed fits: the uncompressed graph (drop 0) is the answer.
      KINGLET_ASSIGN_OR_RETURN(double full_drop, guard.Drop(chosen, true));
      report.drop_pp = full_drop;
      report.accuracy_after = guard.last_accuracy();
      report.met_budget = full_drop <= options.max_drop_pp;
      if (!report.met_budget) report.note = "even the uncompressed model misses the budget";
      break;
    }
  }

  // 3. Ascent: per-layer scans leave slack once the layers are combined; spend it one step at
  //    a time, largest layers first, keeping a step only if the whole model still fits.
  if (report.met_budget) {
    std::vector<size_t> order(layers.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return layers[a].rows * layers[a].cols > layers[b].rows * layers[b].cols;
    });
    int trials = 0;
    for (bool improved = true; improved && trials < kMaxAscentTrials;) {
      improved = false;
      for (size_t i : order) {
        if (layers[i].rows * layers[i].cols < kMinCompressibleWeights) continue;
        // Two kinds of step: prune more, or fewer bits.
        for (int kind = 0; kind < 2 && trials < kMaxAscentTrials; ++kind) {
          const size_t saved_s = sparsity_level[i], saved_b = bits_level[i];
          if (kind == 0 && sparsity_level[i] + 1 < sparsities.size()) {
            ++sparsity_level[i];
          } else if (kind == 1 && bits_level[i] > 0) {
            --bits_level[i];
          } else {
            continue;
          }
          progress("refine", double(++trials) / kMaxAscentTrials);
          std::vector<LayerChoice> trial_choices(layers.size());
          for (size_t k = 0; k < layers.size(); ++k) trial_choices[k] = choice_of(k);
          std::map<int32_t, CompressedTensor> trial_stored;
          KINGLET_ASSIGN_OR_RETURN(ir::Graph trial, ApplyChoices(graph, layers, stats, trial_choices, &trial_stored));
          KINGLET_ASSIGN_OR_RETURN(double full_drop, guard.Drop(trial, true));
          if (full_drop <= options.max_drop_pp) {
            chosen = std::move(trial);
            stored = std::move(trial_stored);
            choices = trial_choices;
            report.drop_pp = full_drop;
            report.accuracy_after = guard.last_accuracy();
            improved = true;
          } else {
            sparsity_level[i] = saved_s;
            bits_level[i] = saved_b;
          }
        }
      }
    }
  }

  progress("encode", 0);
  std::map<int32_t, EncodedConstant> encoded;
  for (auto& [value, tensor] : stored) {
    KINGLET_ASSIGN_OR_RETURN(encoded[value], EncodeConstant(tensor));
  }
  KINGLET_ASSIGN_OR_RETURN(result.kgl, SerializeKgl(chosen, encoded));
  report.compressed_bytes = result.kgl.size();
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerReport l;
    l.name = graph.nodes[layers[i].node].name;
    l.op_type = layers[i].op_type;
    l.parameters = layers[i].rows * layers[i].cols;
    l.sparsity = choices[i].sparsity;
    l.bits = choices[i].bits ? choices[i].bits : 32;
    auto it = encoded.find(layers[i].weight);
    l.encoding = it == encoded.end() ? "dense" : it->second.name;
    l.stored_bytes = it == encoded.end() ? graph.constants.at(layers[i].weight).byte_size() : it->second.payload.size();
    report.layers.push_back(l);
  }
  progress("done", 1);
  return result;
}

}  // namespace kinglet::compression
