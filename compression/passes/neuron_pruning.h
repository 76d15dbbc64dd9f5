// Structured (neuron / channel) pruning: removes whole output channels of Conv, Gemm and MatMul
// layers and rewrites everything those channels flow into, so the pruned model does fewer
// multiply-accumulates and holds smaller activations (it runs faster), not only fewer weights.
//
// A removed channel is followed from its producer's output through the ops that keep channel c
// in place (or at a known offset):
//   Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu, Clip, Identity, Dropout,
//   BatchNormalization (scale / B / mean / var sliced), MaxPool, AveragePool,
//   GlobalAveragePool, GlobalMaxPool,
//   Add / Sub / Mul / Div / PRelu with a constant that is per channel (sliced) or broadcast
//   over channels; Add / Sub / Mul / Div of two values pruned identically (a residual join),
//   Concat along the channel axis (the removed set is shifted by the input's offset),
//   Flatten at axis 1 (channel c of [N, C, H, W] is features c*H*W .. c*H*W + H*W - 1; needs
//   the input's declared shape, which the ONNX importer's shape inference provides),
// up to the layers that contract over channels:
//   Conv with group 1 (input slices of its weight), depthwise Conv (group == C: its filters,
//   bias and group shrink along and the walk continues behind it), Gemm with transA 0 (rows of
//   B, or columns with transB 1), MatMul with a constant 2-D B (rows of B).
// Declared shapes of every value on the way are updated.
//
// Anything else a removed channel reaches (a graph output, an op not listed, a residual join
// whose other side is pruned differently, a grouped conv that is not depthwise) is refused:
// the call returns Unsupported naming the producer and the op, and the graph is untouched (the
// surgery runs on a copy that replaces the graph only when every edit succeeded).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "ir/graph.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"

namespace kinglet::compression::passes {

struct NeuronPruneReport {
  int64_t channels_removed = 0;   // at the producers, as requested
  int64_t parameters_before = 0;  // elements of the constants nodes read
  int64_t parameters_after = 0;
  int64_t nodes_rewritten = 0;  // nodes whose constants or attributes changed
  int64_t values_reshaped = 0;  // values whose declared channel dim shrank
};

// Removes the listed output channels: `removals` maps the node index of a Conv (group 1), Gemm
// or MatMul with a constant weight to the channels to drop (any order; duplicates, indices out
// of range and "all channels" are InvalidArgument). Node indices are unchanged by the call;
// value indices are compacted (constants nothing reads any more are dropped).
Result<NeuronPruneReport> PruneNeurons(ir::Graph* graph,
                                       const std::map<int32_t, std::vector<int64_t>>& removals);

// Producers (node indices, in graph order) whose channels PruneNeurons can remove one
// producer at a time: every path from their output ends in layers it can rewrite. A producer
// feeding a residual join is listed only if the join's other side is pruned with it, so such
// producers are not listed.
std::vector<int32_t> CandidatePrunableProducers(const ir::Graph& graph);

// The value to capture on calibration data for ChannelSaliency: the producer's output, or, when
// that value's only reader is a unary activation (Relu, Clip, ...), the activation's output.
// (A fused activation is already part of the producer's output.)
Result<int32_t> SaliencyProbeValue(const ir::Graph& graph, int32_t producer);

// Saliency of each output channel of each producer (same order as `producers`; `captured[i]`
// is SaliencyProbeValue(producers[i]) captured over calibration data, e.g. by
// CaptureValues in calibration.h, channel axis as in the graph, batch first):
//
//   s_c = E[|a_c|] * || W_out(c) ||_2
//
// E[|a_c|] is the mean absolute post-activation output of channel c over the calibration set
// and positions; W_out(c) are all the weights that disappear downstream with channel c (the
// input slices of the consumers that contract over channels, incl. the H*W Gemm columns behind
// a Flatten and the depthwise filters). The first factor is the activation criterion of Hu et
// al. 2016 ("Network Trimming", APoZ: channels that are almost never active contribute
// nothing); the product with the outgoing weights is a gradient-free stand-in for the
// first-order Taylor criterion of Molchanov et al. 2017 (|a * dL/da|, whose dL/da flows back
// through exactly those weights) — without retraining we cannot measure the gradient, but a
// channel that is rarely active or whose outgoing weights are tiny changes the next layer's
// input by little, which is what the proxy bounds. Channels with s_c == 0 can be removed
// without changing the function at all.
Result<std::map<int32_t, std::vector<float>>> ChannelSaliency(const ir::Graph& graph,
                                                              const std::vector<int32_t>& producers,
                                                              const std::vector<Tensor>& captured);

// The channels to remove per producer: the floor(fraction * C) least salient (ties: lower
// index first), never more than C - max(min_keep, 1). `fraction` maps producer -> fraction in
// [0, 1]; producers without an entry keep all channels. Result indices are sorted; producers
// with nothing to remove are left out.
Result<std::map<int32_t, std::vector<int64_t>>> SelectChannelsToRemove(
    const std::map<int32_t, std::vector<float>>& saliency, const std::map<int32_t, double>& fraction,
    int64_t min_keep = 1);
// The same fraction for every producer in `saliency`.
Result<std::map<int32_t, std::vector<int64_t>>> SelectChannelsToRemove(
    const std::map<int32_t, std::vector<float>>& saliency, double fraction, int64_t min_keep = 1);

}  // namespace kinglet::compression::passes
