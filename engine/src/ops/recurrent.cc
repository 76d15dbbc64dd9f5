#include "ops/recurrent.h"

#include <cctype>
#include <limits>
#include <string>
#include <vector>

#include "kernels/recurrent_math.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

using kernels::reference::RecurrentActivation;
using kernels::reference::RecurrentActivationKind;
using kernels::reference::RecurrentCell;
using kernels::reference::RecurrentParams;

// ONNX's activation names; alpha/beta defaults are those of the ONNX op of the same name.
struct ActivationInfo {
  const char* name;
  RecurrentActivationKind kind;
  bool uses_alpha;
  float default_alpha;
  bool uses_beta;
  float default_beta;
};

constexpr ActivationInfo kActivations[] = {
    {"Sigmoid", RecurrentActivationKind::kSigmoid, false, 0.0f, false, 0.0f},
    {"Tanh", RecurrentActivationKind::kTanh, false, 0.0f, false, 0.0f},
    {"Relu", RecurrentActivationKind::kRelu, false, 0.0f, false, 0.0f},
    {"Affine", RecurrentActivationKind::kAffine, true, 1.0f, true, 0.0f},
    {"LeakyRelu", RecurrentActivationKind::kLeakyRelu, true, 0.01f, false, 0.0f},
    {"ThresholdedRelu", RecurrentActivationKind::kThresholdedRelu, true, 1.0f, false, 0.0f},
    {"ScaledTanh", RecurrentActivationKind::kScaledTanh, true, 1.0f, true, 1.0f},
    {"HardSigmoid", RecurrentActivationKind::kHardSigmoid, true, 0.2f, true, 0.5f},
    {"Elu", RecurrentActivationKind::kElu, true, 1.0f, false, 0.0f},
    {"Softsign", RecurrentActivationKind::kSoftsign, false, 0.0f, false, 0.0f},
    {"Softplus", RecurrentActivationKind::kSoftplus, false, 0.0f, false, 0.0f},
};

bool EqualsIgnoringCase(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size() && b[i] != '\0'; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return i == a.size() && b[i] == '\0';
}

std::string SupportedActivationNames() {
  std::string names;
  for (const ActivationInfo& info : kActivations) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

// Resolves `activations` with activation_alpha/activation_beta. Per the ONNX spec the alpha and
// beta lists are consumed in order by the functions that take them; a function past the end
// of a list gets its default (onnxruntime reads them the same way).
Status ReadActivations(const OpContext& ctx, const RecurrentOpSpec& spec, RecurrentParams* p) {
  const ir::Attributes& attrs = ctx.attr();
  std::vector<std::string> names = attrs.GetStrings("activations");
  const size_t per_direction = spec.activations_per_direction;
  const size_t directions = static_cast<size_t>(p->num_directions);
  if (names.empty()) {
    for (size_t i = 0; i < per_direction; ++i) names.emplace_back(spec.default_activations[i]);
  }
  // Lenient on count the way onnxruntime is: a single direction's list serves both
  // directions, and a two-direction list on one direction uses its first half (old exporters
  // wrote RNN's default as "Tanh, Tanh").
  if (names.size() != per_direction && names.size() != per_direction * 2) {
    return InvalidArgumentError(
        "attribute 'activations' has {} entries; expected {} per direction, {} in all", names.size(),
        per_direction, per_direction * directions);
  }
  const std::vector<float> alphas = attrs.GetFloats("activation_alpha");
  const std::vector<float> betas = attrs.GetFloats("activation_beta");
  size_t next_alpha = 0;
  size_t next_beta = 0;
  std::vector<RecurrentActivation> resolved;
  for (const std::string& name : names) {
    const ActivationInfo* info = nullptr;
    for (const ActivationInfo& candidate : kActivations) {
      if (EqualsIgnoringCase(name, candidate.name)) info = &candidate;
    }
    if (info == nullptr) {
      return UnsupportedError("activation '{}' is not supported; supported: {}", name,
                              SupportedActivationNames());
    }
    RecurrentActivation act;
    act.kind = info->kind;
    act.alpha = info->default_alpha;
    act.beta = info->default_beta;
    if (info->uses_alpha && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
    if (info->uses_beta && next_beta < betas.size()) act.beta = betas[next_beta++];
    resolved.push_back(act);
  }
  for (size_t d = 0; d < directions; ++d) {
    const size_t first = resolved.size() >= per_direction * (d + 1) ? per_direction * d : 0;
    for (size_t k = 0; k < per_direction; ++k) p->activations[d][k] = resolved[first + k];
  }
  return Status::Ok();
}

Status ExpectShape(const TensorRef* t, const Shape& expected, const char* what) {
  if (t->shape != expected) {
    return InvalidArgumentError("{} has shape {}; expected {}", what, t->shape, expected);
  }
  return Status::Ok();
}

Shape StateShape(const RecurrentParams& p) {
  return p.batch_major ? Shape{p.batch, p.num_directions, p.hidden_size}
                       : Shape{p.num_directions, p.batch, p.hidden_size};
}

}  // namespace

Status CheckRecurrentState(const TensorRef* t, const RecurrentParams& params, const char* what) {
  if (t == nullptr) return Status::Ok();
  KINGLET_RETURN_IF_ERROR(ExpectDtype(t, DataType::kFloat32, what));
  return ExpectShape(t, StateShape(params), what);
}

void SetRecurrentStateOutput(TensorRef* out, const RecurrentParams& params) {
  if (out == nullptr) return;
  out->dtype = DataType::kFloat32;
  out->shape = StateShape(params);
}

Status PrepareRecurrent(OpContext& ctx, const RecurrentOpSpec& spec, RecurrentParams* p) {
  KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 3, spec.max_inputs));
  for (size_t i = spec.max_outputs; i < ctx.outputs.size(); ++i) {
    if (ctx.outputs[i] != nullptr) {
      return InvalidArgumentError("has at most {} outputs; output {} was requested", spec.max_outputs, i);
    }
  }
  const ir::Attributes& attrs = ctx.attr();
  p->cell = spec.cell;
  const int64_t gate_count = kernels::reference::RecurrentGateCount(spec.cell);

  const std::string direction = attrs.GetString("direction", "forward");
  if (direction == "forward" || direction == "reverse") {
    p->num_directions = 1;
    p->reverse = direction == "reverse";
  } else if (direction == "bidirectional") {
    p->num_directions = 2;
    p->reverse = false;
  } else {
    return InvalidArgumentError("attribute 'direction' is '{}'; expected forward, reverse or bidirectional",
                                direction);
  }

  const int64_t layout = attrs.GetInt("layout", 0);
  if (layout != 0 && layout != 1) {
    return InvalidArgumentError("attribute 'layout' is {}; expected 0 or 1", layout);
  }
  if (layout == 1 && ctx.opset < 14) {
    return InvalidArgumentError("attribute 'layout' exists from opset 14 on; this node is opset {}",
                                ctx.opset);
  }
  p->batch_major = layout == 1;

  p->clip = std::numeric_limits<float>::infinity();
  if (attrs.Has("clip")) {
    const float clip = attrs.GetFloat("clip", 0.0f);
    if (!(clip > 0.0f)) {
      return InvalidArgumentError("attribute 'clip' is {}; expected a positive threshold", clip);
    }
    p->clip = clip;
  }

  const TensorRef* x = ctx.input(0);
  const TensorRef* w = ctx.input(1);
  const TensorRef* r = ctx.input(2);
  KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "X"));
  KINGLET_RETURN_IF_ERROR(ExpectDtype(w, DataType::kFloat32, "W"));
  KINGLET_RETURN_IF_ERROR(ExpectDtype(r, DataType::kFloat32, "R"));
  KINGLET_RETURN_IF_ERROR(ExpectRank(x, 3, "X"));
  KINGLET_RETURN_IF_ERROR(ExpectRank(w, 3, "W"));
  KINGLET_RETURN_IF_ERROR(ExpectRank(r, 3, "R"));
  p->seq_length = p->batch_major ? x->shape[1] : x->shape[0];
  p->batch = p->batch_major ? x->shape[0] : x->shape[1];
  p->input_size = x->shape[2];

  p->hidden_size = attrs.GetInt("hidden_size", r->shape[2]);
  if (p->hidden_size <= 0) {
    return InvalidArgumentError("hidden_size is {}; expected a positive size", p->hidden_size);
  }
  const int64_t gates = gate_count * p->hidden_size;
  const Shape w_shape{p->num_directions, gates, p->input_size};
  if (w->shape != w_shape) {
    return InvalidArgumentError(
        "W has shape {}; expected [num_directions, {}*hidden_size, input_size] = {} (direction '{}', "
        "hidden_size {})",
        w->shape, gate_count, w_shape, direction, p->hidden_size);
  }
  KINGLET_RETURN_IF_ERROR(ExpectShape(r, {p->num_directions, gates, p->hidden_size}, "R"));
  if (const TensorRef* b = ctx.input(3)) {
    KINGLET_RETURN_IF_ERROR(ExpectDtype(b, DataType::kFloat32, "B"));
    KINGLET_RETURN_IF_ERROR(ExpectShape(b, {p->num_directions, 2 * gates}, "B"));
  }
  if (const TensorRef* lens = ctx.input(4)) {
    KINGLET_RETURN_IF_ERROR(ExpectDtype(lens, DataType::kInt32, "sequence_lens"));
    KINGLET_RETURN_IF_ERROR(ExpectShape(lens, {p->batch}, "sequence_lens"));
  }
  KINGLET_RETURN_IF_ERROR(CheckRecurrentState(ctx.input(5), *p, "initial_h"));
  KINGLET_RETURN_IF_ERROR(ReadActivations(ctx, spec, p));

  if (TensorRef* y = ctx.output(0)) {
    y->dtype = DataType::kFloat32;
    y->shape = p->batch_major ? Shape{p->batch, p->seq_length, p->num_directions, p->hidden_size}
                              : Shape{p->seq_length, p->num_directions, p->batch, p->hidden_size};
  }
  SetRecurrentStateOutput(ctx.output(1), *p);
  ctx.scratch_bytes = kernels::reference::RecurrentScratchBytes(*p);
  return Status::Ok();
}

Status EvalRecurrent(OpContext& ctx, const RecurrentParams& params) {
  kernels::reference::RecurrentData data;
  auto floats = [](const TensorRef* t) { return t != nullptr ? t->as<const float>() : nullptr; };
  auto outputs = [](TensorRef* t) { return t != nullptr ? t->as<float>() : nullptr; };
  data.x = floats(ctx.input(0));
  data.w = floats(ctx.input(1));
  data.r = floats(ctx.input(2));
  data.b = floats(ctx.input(3));
  data.initial_h = floats(ctx.input(5));
  data.y = outputs(ctx.output(0));
  data.y_h = outputs(ctx.output(1));
  if (params.cell == RecurrentCell::kLstm) {
    data.initial_c = floats(ctx.input(6));
    data.p = floats(ctx.input(7));
    data.y_c = outputs(ctx.output(2));
  }
  if (const TensorRef* lens = ctx.input(4)) {
    data.sequence_lens = lens->as<const int32_t>();
    for (int64_t b = 0; b < params.batch; ++b) {
      const int32_t length = data.sequence_lens[b];
      if (length < 0 || length > params.seq_length) {
        return InvalidArgumentError("sequence_lens[{}] is {}; expected a length in [0, {}]", b, length,
                                    params.seq_length);
      }
    }
  }
  kernels::reference::RunRecurrent(params, data, ctx.scratch, kernels::FastRecurrentMath());
  return Status::Ok();
}

}  // namespace kinglet::ops
