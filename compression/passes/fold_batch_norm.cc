#include "passes/fold_batch_norm.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "ir/activation_fusion.h"
#include "passes/graph_edit.h"

namespace kinglet::compression::passes {
namespace {

// The BN as a per-channel affine map y -> mul[c] * y + add[c], in double so that folding adds
// no error beyond the final rounding to float.
struct ChannelAffine {
  std::vector<double> mul;
  std::vector<double> mean;
  std::vector<double> beta;
  size_t channels() const { return mul.size(); }
  double Bias(size_t c, double old_bias) const { return mul[c] * (old_bias - mean[c]) + beta[c]; }
};

const Tensor* FloatConstant(const ir::Graph& graph, int32_t v) {
  const Tensor* t = FindConstant(graph, v);
  return t != nullptr && t->dtype() == DataType::kFloat32 ? t : nullptr;
}

// The BN's statistics when it is a foldable inference-mode, per-channel BN.
bool ReadBatchNorm(const ir::Graph& graph, const ir::Node& bn, const ConsumerMap& consumers,
                   ChannelAffine* affine) {
  if (bn.inputs.size() != 5 || bn.outputs.empty() || bn.outputs[0] == ir::kNoValue) return false;
  for (size_t k = 1; k < bn.outputs.size(); ++k) {
    if (bn.outputs[k] != ir::kNoValue && consumers.UseCount(bn.outputs[k]) > 0) return false;
  }
  if (graph.opset >= 14 && bn.attrs.GetInt("training_mode", 0) != 0) return false;
  if (graph.opset < 9 && bn.attrs.GetInt("spatial", 1) == 0) return false;
  const double epsilon = bn.attrs.GetFloat("epsilon", 1e-5f);
  const Tensor* stats[4];
  for (int i = 0; i < 4; ++i) {
    stats[i] = FloatConstant(graph, bn.inputs[i + 1]);
    if (stats[i] == nullptr || stats[i]->shape().size() != 1) return false;
    if (stats[i]->element_count() != stats[0]->element_count()) return false;
  }
  const size_t channels = static_cast<size_t>(stats[0]->element_count());
  affine->mul.resize(channels);
  affine->beta.resize(channels);
  affine->mean.resize(channels);
  for (size_t c = 0; c < channels; ++c) {
    const double var = stats[3]->data<float>()[c];
    affine->mul[c] = stats[0]->data<float>()[c] / std::sqrt(var + epsilon);
    affine->beta[c] = stats[1]->data<float>()[c];
    affine->mean[c] = stats[2]->data<float>()[c];
  }
  return true;
}

// A copy of constant `value` the pass may overwrite: the value itself when this node is its
// only reader, else a new constant (so other readers keep the original).
int32_t WritableConstant(ir::Graph* graph, const ConsumerMap& consumers, int32_t value, const Tensor& data) {
  if (consumers.HasSingleNodeUse(value)) {
    SetConstant(graph, value, data);
    return value;
  }
  return AddConstant(graph, graph->values[value].name + "/bn_folded", data);
}

// The layer's bias, one float per output channel (zeros when absent).
std::vector<double> ExistingBias(const ir::Graph& graph, const ir::Node& node, size_t slot, size_t channels) {
  std::vector<double> bias(channels, 0.0);
  if (slot < node.inputs.size() && node.inputs[slot] != ir::kNoValue) {
    const Tensor* t = FindConstant(graph, node.inputs[slot]);
    for (size_t c = 0; c < channels; ++c) bias[c] = t->data<float>()[c];
  }
  return bias;
}

// Sets input `slot` of node `n` to the folded bias.
void WriteBias(ir::Graph* graph, const ConsumerMap& consumers, size_t n, size_t slot,
               const ChannelAffine& affine, const std::vector<double>& old_bias) {
  const size_t channels = affine.channels();
  std::vector<float> folded(channels);
  for (size_t c = 0; c < channels; ++c) folded[c] = static_cast<float>(affine.Bias(c, old_bias[c]));
  Tensor tensor = Tensor::FromFloats({static_cast<int64_t>(channels)}, folded);
  ir::Node& node = graph->nodes[n];
  if (node.inputs.size() <= slot) node.inputs.resize(slot + 1, ir::kNoValue);
  const int32_t old = node.inputs[slot];
  const int32_t value = old == ir::kNoValue ? AddConstant(graph, node.name + "/bias", std::move(tensor))
                                            : WritableConstant(graph, consumers, old, tensor);
  graph->nodes[n].inputs[slot] = value;
}

// Scales the constant weight `slot` of node `n`: element i is multiplied by
// affine.mul[channel_of(i)].
template <typename ChannelOf>
void ScaleWeight(ir::Graph* graph, const ConsumerMap& consumers, size_t n, size_t slot,
                 const ChannelAffine& affine, ChannelOf channel_of) {
  const int32_t w = graph->nodes[n].inputs[slot];
  Tensor scaled = FindConstant(*graph, w)->Clone();
  float* data = scaled.data<float>();
  for (int64_t i = 0; i < scaled.element_count(); ++i) {
    data[i] = static_cast<float>(data[i] * affine.mul[channel_of(i)]);
  }
  graph->nodes[n].inputs[slot] = WritableConstant(graph, consumers, w, scaled);
}

bool HasConstantBias(const ir::Graph& graph, const ir::Node& node, size_t slot, size_t channels) {
  if (slot >= node.inputs.size() || node.inputs[slot] == ir::kNoValue) return true;
  const Tensor* b = FloatConstant(graph, node.inputs[slot]);
  return b != nullptr && b->element_count() == static_cast<int64_t>(channels);
}

// The output channels of a Conv the pass can fold into (constant W, constant or no bias), or -1.
int64_t FoldableConvChannels(const ir::Graph& graph, const ir::Node& node) {
  const Tensor* w = node.inputs.size() >= 2 ? FloatConstant(graph, node.inputs[1]) : nullptr;
  if (node.op_type != "Conv" || w == nullptr || w->shape().size() < 3) return -1;
  const int64_t out_channels = w->shape()[0];
  return HasConstantBias(graph, node, 2, static_cast<size_t>(out_channels)) ? out_channels : -1;
}

// Conv: W [M, C/group, k...], output channel = W's first index.
bool FoldIntoConv(ir::Graph* graph, const ConsumerMap& consumers, size_t n, const ChannelAffine& affine) {
  const ir::Node& node = graph->nodes[n];
  const int64_t out_channels = FoldableConvChannels(*graph, node);
  if (out_channels < 0 || out_channels != static_cast<int64_t>(affine.channels())) return false;
  const Tensor* w = FindConstant(*graph, node.inputs[1]);
  const int64_t per_channel = w->element_count() / std::max<int64_t>(out_channels, 1);
  const std::vector<double> bias = ExistingBias(*graph, node, 2, affine.channels());
  ScaleWeight(graph, consumers, n, 1, affine, [per_channel](int64_t i) { return i / per_channel; });
  WriteBias(graph, consumers, n, 2, affine, bias);
  return true;
}

// ConvTranspose: W [C, M/group, k...]; W[c, j] feeds output channel (c / (C/group)) * (M/group) + j.
bool FoldIntoConvTranspose(ir::Graph* graph, const ConsumerMap& consumers, size_t n,
                           const ChannelAffine& affine) {
  const ir::Node& node = graph->nodes[n];
  const Tensor* w = node.inputs.size() >= 2 ? FloatConstant(*graph, node.inputs[1]) : nullptr;
  if (w == nullptr || w->shape().size() < 3) return false;
  const int64_t group = node.attrs.GetInt("group", 1);
  const int64_t in_channels = w->shape()[0];
  const int64_t per_group_out = w->shape()[1];
  if (group < 1 || in_channels % group != 0) return false;
  if (per_group_out * group != static_cast<int64_t>(affine.channels())) return false;
  if (!HasConstantBias(*graph, node, 2, affine.channels())) return false;
  const int64_t kernel = w->element_count() / std::max<int64_t>(in_channels * per_group_out, 1);
  const int64_t in_per_group = in_channels / group;
  const std::vector<double> bias = ExistingBias(*graph, node, 2, affine.channels());
  ScaleWeight(graph, consumers, n, 1, affine, [=](int64_t i) {
    const int64_t row = i / kernel;  // c * (M/group) + j
    const int64_t c = row / per_group_out;
    const int64_t j = row % per_group_out;
    return (c / in_per_group) * per_group_out + j;
  });
  WriteBias(graph, consumers, n, 2, affine, bias);
  return true;
}

// Gemm: Y = alpha * op(A) op(B) + beta * C, output [M, N]; BN's channels are the N columns.
bool FoldIntoGemm(ir::Graph* graph, const ConsumerMap& consumers, size_t n, const ChannelAffine& affine) {
  ir::Node& node = graph->nodes[n];
  const Tensor* b = node.inputs.size() >= 2 ? FloatConstant(*graph, node.inputs[1]) : nullptr;
  if (b == nullptr || b->shape().size() != 2) return false;
  const bool trans_b = node.attrs.GetInt("transB", 0) != 0;
  const int64_t cols = b->shape()[trans_b ? 0 : 1];
  if (cols != static_cast<int64_t>(affine.channels())) return false;
  // C must not vary by row (shapes [], [1], [N], [1, 1], [1, N]) for a per-column bias.
  std::vector<double> bias(affine.channels(), 0.0);
  if (node.inputs.size() >= 3 && node.inputs[2] != ir::kNoValue) {
    const Tensor* c = FloatConstant(*graph, node.inputs[2]);
    if (c == nullptr || c->shape().size() > 2) return false;
    if (c->shape().size() == 2 && c->shape()[0] != 1) return false;
    const int64_t c_cols = c->shape().empty() ? 1 : c->shape().back();
    if (c_cols != 1 && c_cols != cols) return false;
    const double beta = node.attrs.GetFloat("beta", 1.0f);
    for (size_t j = 0; j < bias.size(); ++j) bias[j] = beta * c->data<float>()[c_cols == 1 ? 0 : j];
  }
  const int64_t k = b->shape()[trans_b ? 1 : 0];
  ScaleWeight(graph, consumers, n, 1, affine,
              [trans_b, k, cols](int64_t i) { return trans_b ? i / k : i % cols; });
  // The new C is a fresh [N] constant (the old one may have had another shape), beta folded in.
  std::vector<float> folded(affine.channels());
  for (size_t j = 0; j < folded.size(); ++j) folded[j] = static_cast<float>(affine.Bias(j, bias[j]));
  const int32_t c_value = AddConstant(graph, node.name + "/bias", Tensor::FromFloats({cols}, folded));
  ir::Node& updated = graph->nodes[n];
  if (updated.inputs.size() < 3) updated.inputs.resize(3, ir::kNoValue);
  updated.inputs[2] = c_value;
  updated.attrs.Set(ir::Attribute::Float("beta", 1.0f));
  return true;
}

// MatMul of a rank-2 A by a constant rank-2 B: becomes Gemm(A, B', C').
bool FoldIntoMatMul(ir::Graph* graph, const ConsumerMap& consumers, size_t n, const ChannelAffine& affine) {
  const ir::Node& node = graph->nodes[n];
  if (node.inputs.size() != 2) return false;
  const ir::Value& a = graph->values[node.inputs[0]];
  if (!a.shape_known || a.shape.size() != 2) return false;  // BN's channel axis 1 = the columns
  const Tensor* b = FloatConstant(*graph, node.inputs[1]);
  if (b == nullptr || b->shape().size() != 2) return false;
  graph->nodes[n].op_type = "Gemm";
  if (!FoldIntoGemm(graph, consumers, n, affine)) {
    graph->nodes[n].op_type = "MatMul";
    return false;
  }
  return true;
}

// The layer writing `x` (its first output, x's only reader being the BN, no fused activation),
// or -1.
int32_t SoleLayer(const ir::Graph& graph, const ConsumerMap& consumers, const std::vector<int32_t>& producers,
                  int32_t x) {
  if (x == ir::kNoValue || producers[x] < 0 || !consumers.HasSingleNodeUse(x)) return -1;
  const ir::Node& layer = graph.nodes[producers[x]];
  if (layer.outputs.empty() || layer.outputs[0] != x || layer.attrs.Has("kinglet.activation")) return -1;
  return producers[x];
}

bool FoldIntoLayer(ir::Graph* graph, const ConsumerMap& consumers, size_t n, const ChannelAffine& affine) {
  const std::string& op = graph->nodes[n].op_type;
  if (op == "Conv") return FoldIntoConv(graph, consumers, n, affine);
  if (op == "ConvTranspose") return FoldIntoConvTranspose(graph, consumers, n, affine);
  if (op == "Gemm") return FoldIntoGemm(graph, consumers, n, affine);
  if (op == "MatMul") return FoldIntoMatMul(graph, consumers, n, affine);
  return false;
}

// A BN after a MaxPool of a layer: with every scale positive the BN is increasing per channel,
// so it commutes with the max and folds into the layer before the pool.
bool FoldThroughMaxPool(ir::Graph* graph, const ConsumerMap& consumers, const std::vector<int32_t>& producers,
                        size_t pool, const ChannelAffine& affine) {
  const ir::Node& node = graph->nodes[pool];
  if (!ir::MaxPoolWindowsNeverEmpty(node) || node.inputs.empty()) return false;
  for (double mul : affine.mul) {
    if (!(mul > 0.0)) return false;
  }
  const int32_t layer = SoleLayer(*graph, consumers, producers, node.inputs[0]);
  return layer >= 0 && FoldIntoLayer(graph, consumers, static_cast<size_t>(layer), affine);
}

// A BN after a channel Concat of Convs (fire and inception modules): each Conv takes its slice
// of the BN. Every Conv is checked before any is changed.
bool FoldThroughConcat(ir::Graph* graph, const ConsumerMap& consumers, const std::vector<int32_t>& producers,
                       size_t concat, const ChannelAffine& affine) {
  const ir::Node& node = graph->nodes[concat];
  int64_t axis = node.attrs.GetInt("axis", 1);
  const ir::Value& out = graph->values[node.outputs[0]];
  if (axis < 0 && out.shape_known) axis += static_cast<int64_t>(out.shape.size());
  if (axis != 1 || node.inputs.empty()) return false;
  std::vector<int32_t> convs;
  std::vector<size_t> first_channel;
  size_t channels = 0;
  for (int32_t input : node.inputs) {
    const int32_t conv = SoleLayer(*graph, consumers, producers, input);
    const int64_t count = conv >= 0 ? FoldableConvChannels(*graph, graph->nodes[conv]) : -1;
    if (count < 0) return false;
    convs.push_back(conv);
    first_channel.push_back(channels);
    channels += static_cast<size_t>(count);
  }
  if (channels != affine.channels()) return false;
  for (size_t i = 0; i < convs.size(); ++i) {
    const size_t begin = first_channel[i];
    const size_t end = i + 1 < convs.size() ? first_channel[i + 1] : channels;
    ChannelAffine slice;
    slice.mul.assign(affine.mul.begin() + begin, affine.mul.begin() + end);
    slice.mean.assign(affine.mean.begin() + begin, affine.mean.begin() + end);
    slice.beta.assign(affine.beta.begin() + begin, affine.beta.begin() + end);
    FoldIntoConv(graph, consumers, static_cast<size_t>(convs[i]), slice);
  }
  return true;
}

}  // namespace

Status FoldBatchNorm(ir::Graph* graph) {
  const ConsumerMap consumers(*graph);
  const std::vector<int32_t> producers = ProducerMap(*graph);
  std::vector<bool> remove(graph->nodes.size(), false);
  bool changed = false;
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    if (graph->nodes[i].op_type != "BatchNormalization") continue;
    ChannelAffine affine;
    if (!ReadBatchNorm(*graph, graph->nodes[i], consumers, &affine)) continue;
    const int32_t y = graph->nodes[i].outputs[0];
    const int32_t p = SoleLayer(*graph, consumers, producers, graph->nodes[i].inputs[0]);
    if (p < 0) continue;
    const std::string& op = graph->nodes[p].op_type;
    bool folded = false;
    if (op == "MaxPool") {
      folded = FoldThroughMaxPool(graph, consumers, producers, static_cast<size_t>(p), affine);
    } else if (op == "Concat") {
      folded = FoldThroughConcat(graph, consumers, producers, static_cast<size_t>(p), affine);
    } else {
      folded = FoldIntoLayer(graph, consumers, static_cast<size_t>(p), affine);
    }
    if (!folded) continue;
    graph->nodes[p].outputs[0] = y;  // the BN's output keeps its name (it may be a graph output)
    remove[i] = true;
    changed = true;
  }
  if (!changed) return Status::Ok();
  RemoveNodes(graph, remove);
  CompactValues(graph);
  return Status::Ok();
}

}  // namespace kinglet::compression::passes
