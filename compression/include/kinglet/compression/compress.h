// xqueeze: ONNX model -> compressed .kgl, with the accuracy drop measured by the engine and
// kept within the uploader's budget. No retraining: pruning and quantization error are
// compensated layer by layer from calibration activations (SparseGPT / GPTQ style).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kinglet/status.h"
#include "kinglet/tensor.h"

namespace kinglet::compression {

enum class Profile {
  kLow,   // gentle: 8-bit codebooks, light pruning (devices where accuracy matters most)
  kMid,   // balanced
  kHigh,  // as small as the budget allows
};
Result<Profile> ParseProfile(const std::string& name);

struct CompressOptions {
  double max_drop_pp = 0.5;  // allowed top-1 drop in percentage points (labels) or disagreement
  Profile profile = Profile::kHigh;
  // Rows of the evaluation set that rank each layer's settings; every budget decision and the
  // final check use every row.
  int64_t search_rows = 2000;
  // Calibration rows (inputs) used to build layer statistics.
  int64_t calibration_rows = 4096;
  // Every candidate's layers are refit, in graph order, to the inputs compressed layers upstream
  // really give them (src/sequential_correction.h). LeNet-5 39.7x -> 56.1x at the same drop;
  // costs activation captures per compressed layer and candidate (firenet's search 378 -> 775 s).
  bool sequential_correction = true;
  // Evaluation workers (0 = one per hardware thread).
  int threads = 0;
  // Called with a stage name and progress in [0, 1]; may be empty.
  std::function<void(const std::string& stage, double fraction)> progress;
  // Polled between steps (at most a few seconds apart on the bench models); returning true
  // stops the compression with StatusCode::kCancelled. May be empty.
  std::function<bool()> cancelled;
};

struct LayerReport {
  std::string name;       // the node's name
  std::string op_type;
  int64_t parameters = 0;
  double sparsity = 0;    // fraction of weights pruned
  int bits = 32;          // bits per stored value before entropy coding (32 = float)
  std::string encoding;   // e.g. "sparse+kmeans4+huffman"
  size_t stored_bytes = 0;
  // Per integer stream (indices, gaps): bits per symbol against its zeroth-order entropy and
  // zstd -19 of the same symbols, one line each.
  std::vector<std::string> streams;
};

struct CompressReport {
  size_t onnx_bytes = 0;        // the input file
  size_t dense_kgl_bytes = 0;   // float32 .kgl of the transformed graph
  size_t compressed_bytes = 0;  // the artifact
  bool has_labels = false;
  double accuracy_before = 0;   // top-1 on the evaluation set (or 1.0 agreement without labels)
  double accuracy_after = 0;    // top-1 (or agreement with the uncompressed model)
  double drop_pp = 0;           // (before - after) * 100, measured on every evaluation row
  bool met_budget = false;      // drop_pp <= max_drop_pp; false means: best found, budget missed
  std::string note;             // why the budget was missed, if it was
  int64_t channels_removed = 0;    // whole neurons / conv channels removed by neuron pruning
  int64_t parameters_removed = 0;  // weights that went with them
  std::vector<LayerReport> layers;
  double ratio() const { return compressed_bytes ? double(onnx_bytes) / compressed_bytes : 0; }
};

struct CompressResult {
  std::string kgl;  // the artifact bytes
  CompressReport report;
};

// Compresses the ONNX model at `onnx_path`. `eval_inputs` float32 [N, ...]; `eval_labels` int
// [N] or a default Tensor (no labels: accuracy is top-1 agreement with the uncompressed model);
// `calibration` float32 [M, ...] (may be the evaluation inputs). Bad data (shape mismatch,
// labels out of range, empty sets, NaN weights) gives InvalidArgument naming it.
Result<CompressResult> Compress(const std::string& onnx_path, const Tensor& eval_inputs, const Tensor& eval_labels,
                                const Tensor& calibration, const CompressOptions& options);

// The plain-int8 peer: the same transforms, then every Conv/Gemm/MatMul weight linearly
// quantized to int8 per output channel (symmetric), nothing else. Accuracy is measured like
// Compress's; met_budget is left false (no budget applies).
Result<CompressResult> QuantizeInt8Only(const std::string& onnx_path, const Tensor& eval_inputs,
                                        const Tensor& eval_labels);

}  // namespace kinglet::compression
