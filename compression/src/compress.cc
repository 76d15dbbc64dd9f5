#include "kinglet/compression/compress.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <tuple>

#include "calibration.h"
#include "encode/compressed_tensor.h"
#include "kinglet/compression/evaluate.h"
#include "kinglet/compression/kgl_writer.h"
#include "kinglet/compression/onnx_importer.h"
#include "kinglet/model.h"
#include "layer_compression.h"
#include "layer_view.h"
#include "passes/neuron_pruning.h"
#include "passes/pipeline.h"
#include "quantize/hessian.h"
#include "quantize/least_squares_refit.h"
#include "quantize/magnitude_prune.h"
#include "quantize/sparsegpt.h"
#include "sequential_correction.h"
#include "tradeoff.h"

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

const std::vector<double>& SparsityGrid(Profile p) {
  static const std::vector<double> kLow = {0.0, 0.3, 0.5};
  static const std::vector<double> kMid = {0.0, 0.3, 0.5, 0.6, 0.7, 0.8};
  static const std::vector<double> kHigh = {0.0,  0.3,  0.5,  0.6,  0.7,  0.8,  0.85, 0.88,
                                            0.9,  0.92, 0.94, 0.95, 0.96, 0.97, 0.98};
  return p == Profile::kLow ? kLow : p == Profile::kMid ? kMid : kHigh;
}

// The share of --max-drop neuron pruning may spend before synapse pruning and quantization.
double NeuronBudgetShare(Profile p) { return p == Profile::kLow ? 0.0 : p == Profile::kMid ? 0.1 : 0.2; }

const std::vector<int>& BitsGrid(Profile p) {  // tried from the smallest up
  static const std::vector<int> kLow = {8};
  static const std::vector<int> kMid = {4, 5, 6, 8};
  static const std::vector<int> kHigh = {2, 3, 4, 5, 6, 8};
  return p == Profile::kLow ? kLow : p == Profile::kMid ? kMid : kHigh;
}

// Pruning is gradual, as in iterative OBS: sparsity s_j of the grid starts from the weights kept
// at s_{j-1}, SparseGPT chooses the next weights to drop and compensates the rest, then the kept
// set is refit exactly to the original layer output. Measured on Fashion-MNIST LeNet-300-100 fc1
// (`XQ` bench, 10k calibration images): one-shot SparseGPT to 90% costs 1.81 pp top-1 alone,
// one-shot + refit 0.73 pp, the gradual chain 0.15 pp. The search revisits the same (layer,
// setting) pairs many times, so every chain step and every outcome is computed once.
class OutcomeCache {
 public:
  OutcomeCache(const ir::Graph& graph, const std::vector<LayerView>& layers, const std::vector<LayerStats>& stats,
               const std::vector<double>& sparsities)
      : graph_(graph), layers_(layers), stats_(stats), sparsities_(sparsities) {}

  Result<const LayerOutcome*> Get(size_t layer, const LayerChoice& choice) {
    const auto key = std::make_tuple(layer, choice.sparsity, choice.bits);
    auto it = outcomes_.find(key);
    if (it == outcomes_.end()) {
      KINGLET_ASSIGN_OR_RETURN(const q::Matrix* w, Pruned(layer, 0.0));
      KINGLET_ASSIGN_OR_RETURN(const q::Matrix* pruned, Pruned(layer, choice.sparsity));
      KINGLET_ASSIGN_OR_RETURN(LayerOutcome out,
                               CompressLayer(graph_, layers_[layer], stats_[layer], choice, *w, *pruned));
      out.dense = DecodeToDense(out.stored);
      KINGLET_ASSIGN_OR_RETURN(EncodedConstant encoded, EncodeConstant(out.stored));
      out.bytes = encoded.payload.size();
      it = outcomes_.emplace(key, std::move(out)).first;
    }
    return &it->second;
  }

 private:
  // Exact refits cost rows * |S|^3 / 6 flops (|S| kept weights per row); above this the chain
  // keeps SparseGPT's own compensation.
  static constexpr double kMaxRefitFlops = 2e10;

  Result<const q::Matrix*> Pruned(size_t layer, double sparsity) {
    const auto key = std::make_pair(layer, sparsity);
    auto it = pruned_.find(key);
    if (it != pruned_.end()) return &it->second;
    const LayerView& l = layers_[layer];
    const LayerStats& stats = stats_[layer];
    q::Matrix result;
    if (sparsity == 0) {
      result = ToMatrix(WeightMatrix(graph_, l), l.rows, l.cols);
      KINGLET_RETURN_IF_ERROR(q::CheckMatrix(result, "weight of '" + graph_.nodes[l.node].name + "'"));
    } else {
      KINGLET_ASSIGN_OR_RETURN(const q::Matrix* w, Pruned(layer, 0.0));
      if (!stats.reconstruct) {
        KINGLET_ASSIGN_OR_RETURN(result, q::MagnitudePrune(*w, sparsity));
      } else {
        double previous = 0;  // the grid level below `sparsity`: the chain's previous step
        for (double s : sparsities_) {
          if (s < sparsity) previous = std::max(previous, s);
        }
        KINGLET_ASSIGN_OR_RETURN(const q::Matrix* start, Pruned(layer, previous));
        KINGLET_ASSIGN_OR_RETURN(result, q::SparseGptPrune(*start, stats.h, sparsity));
        const double kept = (1 - sparsity) * l.cols;
        if (l.rows * kept * kept * kept / 6 <= kMaxRefitFlops) {
          KINGLET_ASSIGN_OR_RETURN(result, q::RefitKeptWeights(*w, q::NonzeroMask(result), stats.h));
        }
      }
    }
    return &pruned_.emplace(key, std::move(result)).first->second;
  }

  const ir::Graph& graph_;
  const std::vector<LayerView>& layers_;
  const std::vector<LayerStats>& stats_;
  const std::vector<double>& sparsities_;
  std::map<std::pair<size_t, double>, q::Matrix> pruned_;
  std::map<std::tuple<size_t, double, int>, LayerOutcome> outcomes_;
};

// The graph with every layer replaced by its compressed form.
Result<ir::Graph> ApplyChoices(const ir::Graph& base, const std::vector<LayerView>& layers,
                               const std::vector<LayerStats>& stats, const std::vector<LayerChoice>& choices,
                               OutcomeCache* cache, std::map<int32_t, CompressedTensor>* stored) {
  ir::Graph g = base;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (choices[i].sparsity == 0 && choices[i].bits == 0) continue;
    KINGLET_ASSIGN_OR_RETURN(const LayerOutcome* outcome, cache->Get(i, choices[i]));
    const LayerOutcome& out = *outcome;
    g.constants[layers[i].weight] = out.dense;
    if (!out.bias_delta.empty()) {
      Tensor bias = base.constants.at(layers[i].bias).Clone();
      for (int64_t k = 0; k < bias.element_count(); ++k) bias.data<float>()[k] += out.bias_delta[k];
      g.constants[layers[i].bias] = bias;
    }
    if (stored) (*stored)[layers[i].weight] = out.stored;
  }
  return g;
}

// What one evaluation of a candidate graph says, against the uncompressed graph on the same rows.
struct Measurement {
  double accuracy = 0;    // top-1 (labels) or top-1 agreement with the uncompressed model
  double drop_pp = 0;     // (baseline - accuracy) * 100
  double divergence = 0;  // mean KL(uncompressed || candidate) of the softmax of the first output
};

// Mean over rows of KL(softmax(p) || softmax(q)); `p`, `q` are [rows, classes] scores.
double MeanSoftmaxDivergence(const std::vector<float>& p, const std::vector<float>& q, int64_t classes) {
  if (classes <= 0 || p.size() != q.size() || p.empty()) return 0;
  const int64_t rows = static_cast<int64_t>(p.size()) / classes;
  auto log_softmax = [&](const float* x, std::vector<double>* out) {
    const double m = *std::max_element(x, x + classes);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(x[c] - m);
    const double log_sum = m + std::log(sum);
    for (int64_t c = 0; c < classes; ++c) (*out)[c] = x[c] - log_sum;
  };
  std::vector<double> lp(classes), lq(classes);
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    log_softmax(p.data() + r * classes, &lp);
    log_softmax(q.data() + r * classes, &lq);
    for (int64_t c = 0; c < classes; ++c) total += std::exp(lp[c]) * (lp[c] - lq[c]);
  }
  return std::max(0.0, total / rows);
}

class AccuracyGuard {
 public:
  AccuracyGuard(const Tensor& inputs, const Tensor& labels, int64_t search_rows, int threads)
      : labels_given_(labels.dtype() != DataType::kUndefined), threads_(threads) {
    const int64_t n = inputs.shape()[0];
    const int64_t s = std::min(n, std::max<int64_t>(search_rows, 1));
    full_.inputs = inputs;
    full_.labels = labels;
    Shape shape = inputs.shape();
    shape[0] = s;
    search_.inputs = Tensor::View(DataType::kFloat32, shape, const_cast<void*>(inputs.raw_data()));
    if (labels_given_) search_.labels = Tensor::View(labels.dtype(), {s}, const_cast<void*>(labels.raw_data()));
  }

  // Runs the uncompressed graph: the reference every later measurement compares with.
  Status SetBaseline(const ir::Graph& graph) {
    for (Rows* rows : {&full_, &search_}) {
      KINGLET_ASSIGN_OR_RETURN(rows->baseline, Run(graph, *rows));
      rows->baseline_accuracy = labels_given_ ? rows->baseline.accuracy() : 1.0;
    }
    return Status::Ok();
  }

  // `full`: every evaluation row (the budget's judge); otherwise the search rows.
  Result<Measurement> Measure(const ir::Graph& graph, bool full) {
    Rows& rows = full ? full_ : search_;
    KINGLET_ASSIGN_OR_RETURN(EvalResult r, Run(graph, rows));
    Measurement m;
    if (labels_given_) {
      m.accuracy = r.accuracy();
    } else {
      int64_t agree = 0;
      for (size_t i = 0; i < r.predictions.size(); ++i) agree += r.predictions[i] == rows.baseline.predictions[i];
      m.accuracy = double(agree) / r.predictions.size();
    }
    m.drop_pp = (rows.baseline_accuracy - m.accuracy) * 100.0;
    m.divergence = MeanSoftmaxDivergence(rows.baseline.scores, r.scores, r.classes);
    return m;
  }

  double baseline() const { return full_.baseline_accuracy; }
  bool has_labels() const { return labels_given_; }

 private:
  struct Rows {
    Tensor inputs, labels;
    EvalResult baseline;
    double baseline_accuracy = 0;
  };

  Result<EvalResult> Run(const ir::Graph& graph, const Rows& rows) {
    KINGLET_ASSIGN_OR_RETURN(auto model, Model::FromGraph(graph));
    if (labels_given_) return EvaluateTop1(model, rows.inputs, rows.labels, threads_);
    return Predict(model, rows.inputs, threads_);
  }

  bool labels_given_;
  int threads_;
  Rows full_, search_;
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

// Biases and the other float constants the search leaves dense go to half precision when the
// whole model still fits (it nearly always does: fp16 keeps 11 significant bits). In a 30 KB
// LeNet-300-100 artifact the biases alone are 1.6 KB.
Status HalveRemainingConstants(AccuracyGuard* guard, double max_drop_pp, ir::Graph* graph,
                               std::map<int32_t, CompressedTensor>* stored, Measurement* measurement) {
  constexpr int64_t kMinElements = 16;  // below this the encoding's own header eats the saving
  ir::Graph trial = *graph;
  std::map<int32_t, CompressedTensor> halves;
  for (const auto& [value, tensor] : graph->constants) {
    if (stored->count(value) || tensor.dtype() != DataType::kFloat32 || tensor.element_count() < kMinElements) continue;
    CompressedTensor half;
    half.shape = tensor.shape();
    half.coding = ValueCoding::kFloat16;
    half.values.assign(tensor.data<float>(), tensor.data<float>() + tensor.element_count());
    trial.constants[value] = DecodeToDense(half);
    halves[value] = std::move(half);
  }
  if (halves.empty()) return Status::Ok();
  KINGLET_ASSIGN_OR_RETURN(Measurement m, guard->Measure(trial, /*full=*/true));
  if (m.drop_pp > max_drop_pp) return Status::Ok();
  *graph = std::move(trial);
  stored->insert(halves.begin(), halves.end());
  *measurement = m;
  return Status::Ok();
}

// 0. Neuron pruning: whole channels of each prunable producer, least salient first
//    (passes/neuron_pruning.h), as far as a share of the budget allows on every evaluation row;
//    producers are taken one after another on the already pruned graph. The rest of the budget
//    is left to synapse pruning and quantization, which compensate their error and so buy more
//    bytes per point of accuracy; channels are taken first because the pruned model also runs
//    faster, and channels that are never active cost nothing.
Status PruneChannels(const Tensor& calibration, double budget_pp, AccuracyGuard* guard, ir::Graph* graph,
                     CompressReport* report) {
  static const double kFractions[] = {0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5};
  const std::vector<int32_t> producers = passes::CandidatePrunableProducers(*graph);
  if (producers.empty()) return Status::Ok();
  std::vector<int32_t> probes;
  for (int32_t p : producers) {
    KINGLET_ASSIGN_OR_RETURN(int32_t probe, passes::SaliencyProbeValue(*graph, p));
    probes.push_back(probe);
  }
  KINGLET_ASSIGN_OR_RETURN(std::vector<Tensor> captured, CaptureValues(*graph, calibration, probes));
  KINGLET_ASSIGN_OR_RETURN(auto saliency, passes::ChannelSaliency(*graph, producers, captured));
  for (int32_t p : producers) {
    const std::map<int32_t, std::vector<float>> one = {{p, saliency.at(p)}};
    ir::Graph best;
    passes::NeuronPruneReport best_report;
    for (double fraction : kFractions) {
      KINGLET_ASSIGN_OR_RETURN(auto removals, passes::SelectChannelsToRemove(one, fraction));
      if (removals.empty()) continue;
      ir::Graph trial = *graph;
      auto pruned = passes::PruneNeurons(&trial, removals);
      if (!pruned.ok()) break;  // e.g. a shape the surgery cannot follow: leave this producer whole
      KINGLET_ASSIGN_OR_RETURN(Measurement m, guard->Measure(trial, /*full=*/true));
      if (m.drop_pp > budget_pp) break;
      best = std::move(trial);
      best_report = *pruned;
    }
    if (best_report.channels_removed == 0) continue;
    *graph = std::move(best);
    report->channels_removed += best_report.channels_removed;
    report->parameters_removed += best_report.parameters_before - best_report.parameters_after;
  }
  return Status::Ok();
}

std::vector<LayerChoice> ChoicesOf(const std::vector<Frontier>& frontiers, const std::vector<size_t>& config) {
  std::vector<LayerChoice> choices;
  for (size_t i = 0; i < frontiers.size(); ++i) {
    choices.push_back({frontiers[i][config[i]].sparsity, frontiers[i][config[i]].bits});
  }
  return choices;
}

// How far a layer's output moves when its weight becomes `approx`: tr(D H D^T), D = approx - w
// (per calibration row, the squared error of the layer's pre-activation output), or ||D||^2
// when the layer has no H.
double OutputError(const q::Matrix& w, const q::Matrix& approx, const LayerStats& stats) {
  double total = 0;
  std::vector<double> d(static_cast<size_t>(w.cols));
  for (int64_t r = 0; r < w.rows; ++r) {
    for (int64_t c = 0; c < w.cols; ++c) d[c] = double(approx(r, c)) - double(w(r, c));
    if (!stats.reconstruct) {
      for (double v : d) total += v * v;
      continue;
    }
    for (int64_t i = 0; i < w.cols; ++i) {
      if (d[i] == 0) continue;
      double hd = 0;
      for (int64_t j = 0; j < w.cols; ++j) hd += stats.h(i, j) * d[j];
      total += d[i] * hd;
    }
  }
  return total;
}

// 1. Each layer alone: every (sparsity, bits) of the profile's grids, with its stored bytes and
//    its damage, the divergence of the model's output from the uncompressed one on the search
//    rows. Top-1 on a few thousand rows moves in steps of 1/N and is noisy; the divergence is
//    smooth and close to additive across layers, so it ranks settings well. Running the model
//    for each of ~90 settings per layer is what made conv nets slow (firenet > 30 min), so the
//    divergence is first predicted from the layer's output error (for small perturbations it
//    is a quadratic form of the output change, so it grows in proportion to that error; one
//    least-squares factor per layer from a few measured settings), and only the settings on
//    the predicted frontier are measured.
Result<std::vector<Frontier>> ScanLayers(const ir::Graph& graph, const std::vector<LayerView>& layers,
                                         const std::vector<LayerStats>& stats, const CompressOptions& options,
                                         OutcomeCache* cache, AccuracyGuard* guard,
                                         const std::function<Status(const std::string&, double)>& progress) {
  constexpr int kMeasuredPerLayer = 4;
  const std::vector<double>& sparsities = SparsityGrid(options.profile);
  const std::vector<int>& bit_grid = BitsGrid(options.profile);
  std::vector<Frontier> frontiers(layers.size());
  // Damage is measured from the graph the scan starts from (channels may already be pruned).
  KINGLET_ASSIGN_OR_RETURN(Measurement start, guard->Measure(graph, /*full=*/false));
  for (size_t i = 0; i < layers.size(); ++i) {
    KINGLET_RETURN_IF_ERROR(progress("sensitivity", double(i) / layers.size()));
    const int64_t weights = layers[i].rows * layers[i].cols;
    std::vector<TradeoffPoint> all = {{0.0, 0, static_cast<size_t>(weights) * sizeof(float), 0.0}};
    if (weights < kMinCompressibleWeights) {
      frontiers[i] = all;
      continue;
    }
    const q::Matrix w = ToMatrix(WeightMatrix(graph, layers[i]), layers[i].rows, layers[i].cols);
    std::vector<double> error;
    for (double s : sparsities) {
      for (int b : bit_grid) {
        KINGLET_ASSIGN_OR_RETURN(const LayerOutcome* out, cache->Get(i, {s, b}));
        all.push_back({s, b, out->bytes, 0.0});
        error.push_back(OutputError(w, out->weight, stats[i]));
      }
    }
    // Measure settings spread over the middle of the error range, where budgets bind.
    std::vector<size_t> by_error(error.size());
    for (size_t k = 0; k < by_error.size(); ++k) by_error[k] = k;
    std::sort(by_error.begin(), by_error.end(), [&](size_t a, size_t b) { return error[a] < error[b]; });
    double num = 0, den = 0;
    std::vector<LayerChoice> trial(layers.size());
    for (int k = 1; k <= kMeasuredPerLayer; ++k) {
      const size_t pick = by_error[by_error.size() * k / (2 * kMeasuredPerLayer + 2)];
      trial[i] = {all[pick + 1].sparsity, all[pick + 1].bits};
      KINGLET_ASSIGN_OR_RETURN(ir::Graph g, ApplyChoices(graph, layers, stats, trial, cache, nullptr));
      KINGLET_ASSIGN_OR_RETURN(Measurement m, guard->Measure(g, /*full=*/false));
      num += std::max(0.0, m.divergence - start.divergence) * error[pick];
      den += error[pick] * error[pick];
    }
    const double factor = den > 0 ? num / den : 0;
    for (size_t k = 0; k < error.size(); ++k) all[k + 1].damage = factor * error[k];
    // The prediction only picks the candidates: every setting on the predicted frontier is then
    // measured, and the frontier rebuilt from measurements alone.
    Frontier measured = {all[0]};
    for (const TradeoffPoint& p : ParetoFrontier(std::move(all))) {
      if (p.bits == 0 && p.sparsity == 0) continue;
      trial[i] = {p.sparsity, p.bits};
      KINGLET_ASSIGN_OR_RETURN(ir::Graph g, ApplyChoices(graph, layers, stats, trial, cache, nullptr));
      KINGLET_ASSIGN_OR_RETURN(Measurement m, guard->Measure(g, /*full=*/false));
      measured.push_back(p);
      measured.back().damage = std::max(0.0, m.divergence - start.divergence);
    }
    frontiers[i] = ParetoFrontier(std::move(measured));
  }
  return frontiers;
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
  // Reports progress and is where a cancellation takes effect.
  auto progress = [&](const std::string& stage, double f) -> Status {
    if (options.progress) options.progress(stage, f);
    if (options.cancelled && options.cancelled()) return Status::Cancelled("compression cancelled during " + stage);
    return Status::Ok();
  };
  if (!(options.max_drop_pp >= 0)) return Status::InvalidArgument("--max-drop must be >= 0");
  KINGLET_RETURN_IF_ERROR(progress("import", 0));
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

  AccuracyGuard guard(eval_inputs, eval_labels, options.search_rows, options.threads);
  KINGLET_RETURN_IF_ERROR(progress("baseline", 0));
  KINGLET_RETURN_IF_ERROR(guard.SetBaseline(graph));
  report.has_labels = guard.has_labels();
  report.accuracy_before = guard.baseline();

  Shape calib_shape = calibration.shape();
  calib_shape[0] = std::min(calib_shape[0], options.calibration_rows);
  const Tensor calib = Tensor::View(DataType::kFloat32, calib_shape, const_cast<void*>(calibration.raw_data()));
  KINGLET_RETURN_IF_ERROR(progress("neurons", 0));
  KINGLET_RETURN_IF_ERROR(PruneChannels(calib, options.max_drop_pp * NeuronBudgetShare(options.profile), &guard,
                                        &graph, &report));

  const std::vector<LayerView> layers = FindLayers(graph);
  KINGLET_RETURN_IF_ERROR(progress("calibrate", 0));
  KINGLET_ASSIGN_OR_RETURN(std::vector<LayerStats> stats, CollectStats(graph, layers, calib));

  OutcomeCache cache(graph, layers, stats, SparsityGrid(options.profile));
  std::unique_ptr<SequentialCorrector> corrector;
  if (options.sequential_correction) corrector = std::make_unique<SequentialCorrector>(graph, layers, calib);
  KINGLET_ASSIGN_OR_RETURN(std::vector<Frontier> frontiers,
                           ScanLayers(graph, layers, stats, options, &cache, &guard, progress));

  // 2. Together. Layer damages are close to additive, so for a price lambda (bytes per unit of
  //    divergence) each layer independently takes the setting minimising bytes + lambda * damage;
  //    raising lambda walks from the smallest artifact to the uncompressed one. The smallest
  //    point of that path whose measured drop on every evaluation row fits the budget is found
  //    by bisection (the drop falls, give or take noise, as lambda rises).
  using Config = std::vector<size_t>;  // per layer: an index into its frontier
  std::map<Config, Measurement> measured;
  auto measure = [&](const Config& config) -> Result<Measurement> {
    auto it = measured.find(config);
    if (it != measured.end()) return it->second;
    // Measured as it would ship: sequentially corrected (the stored forms are not needed here).
    std::map<int32_t, CompressedTensor> st;
    KINGLET_ASSIGN_OR_RETURN(ir::Graph g,
                             ApplyChoices(graph, layers, stats, ChoicesOf(frontiers, config), &cache, &st));
    if (corrector) KINGLET_RETURN_IF_ERROR(corrector->Apply(ChoicesOf(frontiers, config), &g, &st));
    KINGLET_ASSIGN_OR_RETURN(Measurement m, guard.Measure(g, /*full=*/true));
    return measured[config] = m;
  };
  const std::vector<Config> path = LagrangianPath(frontiers);
  Config best;  // empty: nothing fits yet
  {
    size_t lo = 0, hi = path.size();  // invariant: path[hi] fits (hi == size: unknown)
    while (lo < hi) {
      KINGLET_RETURN_IF_ERROR(progress("combine", 1.0 - double(hi - lo) / path.size()));
      const size_t mid = lo + (hi - lo) / 2;
      KINGLET_ASSIGN_OR_RETURN(Measurement m, measure(path[mid]));
      if (m.drop_pp <= options.max_drop_pp) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    if (hi < path.size()) best = path[hi];
  }

  // 3. Ascent: the path holds only the convex hull of each layer's trade-off, and interactions
  //    leave slack; take single steps to the next smaller setting, largest layers first, while
  //    the whole model still fits.
  if (!best.empty()) {
    std::vector<size_t> order(layers.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return frontiers[a].back().bytes > frontiers[b].back().bytes;
    });
    int trials = 0;
    for (bool improved = true; improved && trials < kMaxAscentTrials;) {
      improved = false;
      for (size_t i : order) {
        if (best[i] == 0 || trials >= kMaxAscentTrials) continue;
        Config trial = best;
        --trial[i];
        KINGLET_RETURN_IF_ERROR(progress("refine", double(++trials) / kMaxAscentTrials));
        KINGLET_ASSIGN_OR_RETURN(Measurement m, measure(trial));
        if (m.drop_pp <= options.max_drop_pp) {
          best = trial;
          improved = true;
        }
      }
    }
  }

  std::vector<LayerChoice> choices(layers.size());  // all {0, 0}: uncompressed
  if (!best.empty()) choices = ChoicesOf(frontiers, best);
  std::map<int32_t, CompressedTensor> stored;
  KINGLET_ASSIGN_OR_RETURN(ir::Graph chosen, ApplyChoices(graph, layers, stats, choices, &cache, &stored));
  if (corrector) KINGLET_RETURN_IF_ERROR(corrector->Apply(choices, &chosen, &stored));
  KINGLET_ASSIGN_OR_RETURN(Measurement final_m, guard.Measure(chosen, /*full=*/true));
  report.drop_pp = final_m.drop_pp;
  report.accuracy_after = final_m.accuracy;
  report.met_budget = final_m.drop_pp <= options.max_drop_pp;
  if (report.met_budget) {
    KINGLET_RETURN_IF_ERROR(HalveRemainingConstants(&guard, options.max_drop_pp, &chosen, &stored, &final_m));
    report.drop_pp = final_m.drop_pp;
    report.accuracy_after = final_m.accuracy;
  }
  if (best.empty()) {
    report.note = report.met_budget ? "no compressed setting fits the budget; the artifact is uncompressed"
                                    : "even the uncompressed model misses the budget";
  }

  KINGLET_RETURN_IF_ERROR(progress("encode", 0));
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
    auto s = stored.find(layers[i].weight);
    if (s != stored.end()) {
      for (const NamedStreamReport& r : ReportStreams(s->second)) l.streams.push_back(r.stream + ": " + r.report.ToString());
    }
    report.layers.push_back(l);
  }
  KINGLET_RETURN_IF_ERROR(progress("done", 1));
  return result;
}

}  // namespace kinglet::compression
