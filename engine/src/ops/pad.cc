// Pad (ONNX opsets 2..18): modes constant, reflect and edge on any dtype; pads and value are
// attributes before opset 11 and inputs from 11 (plus the optional axes input of opset 18).
// Negative pads crop.
#include "kernels/reference/pad.h"

#include <cstring>

#include "ops/op.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

using kernels::reference::PadMode;

// Writes `v` as one element of `dtype` (the pre-opset-11 `value` attribute is always a float).
void StoreAs(DataType dtype, float v, unsigned char* out) {
  switch (dtype) {
    case DataType::kFloat32:
      std::memcpy(out, &v, sizeof v);
      break;
    case DataType::kInt8: {
      int8_t t = static_cast<int8_t>(v);
      std::memcpy(out, &t, 1);
      break;
    }
    case DataType::kUint8: {
      uint8_t t = static_cast<uint8_t>(v);
      std::memcpy(out, &t, 1);
      break;
    }
    case DataType::kBool: {
      uint8_t t = v != 0.0f;
      std::memcpy(out, &t, 1);
      break;
    }
    case DataType::kInt32: {
      int32_t t = static_cast<int32_t>(v);
      std::memcpy(out, &t, 4);
      break;
    }
    case DataType::kInt64: {
      int64_t t = static_cast<int64_t>(v);
      std::memcpy(out, &t, 8);
      break;
    }
    default:
      break;
  }
}

class PadOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    const bool pads_are_inputs = ctx.opset >= 11;
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, pads_are_inputs ? 2 : 1, pads_are_inputs ? 4 : 1));
    const TensorRef* x = ctx.input(0);
    if (DataTypeSize(x->dtype) == 0 || DataTypeSize(x->dtype) > sizeof(constant_)) {
      return UnsupportedError("input data has unsupported dtype {}", DataTypeName(x->dtype));
    }
    const int64_t rank = x->rank();

    const std::string mode = ctx.attr().GetString("mode", "constant");
    if (mode == "constant") {
      params_.mode = PadMode::kConstant;
    } else if (mode == "reflect") {
      params_.mode = PadMode::kReflect;
    } else if (mode == "edge") {
      params_.mode = PadMode::kEdge;
    } else {
      return UnsupportedError("attribute 'mode' = '{}'; constant, reflect and edge are supported", mode);
    }

    std::vector<int64_t> pads;
    std::vector<int64_t> axes;
    std::memset(constant_, 0, sizeof constant_);
    read_constant_input_ = false;
    if (pads_are_inputs) {
      KINGLET_ASSIGN_OR_RETURN(pads, ReadConstantInts(ctx.input(1), "input 'pads'"));
      if (const TensorRef* value = ctx.input(2)) {
        if (value->dtype != x->dtype) {
          return InvalidArgumentError("input 'constant_value' has dtype {} but data has {}",
                                      DataTypeName(value->dtype), DataTypeName(x->dtype));
        }
        // Read in Eval: the value may be computed by the graph, only the pads shape the output.
        read_constant_input_ = value->element_count() > 0;
      }
      if (const TensorRef* axes_input = ctx.input(3)) {
        KINGLET_ASSIGN_OR_RETURN(axes, ReadConstantInts(axes_input, "input 'axes'"));
      }
    } else {
      if (!ctx.attr().Has("pads")) return InvalidArgumentError("required attribute 'pads' is missing");
      pads = ctx.attr().GetInts("pads");
      StoreAs(x->dtype, ctx.attr().GetFloat("value", 0.0f), constant_);
    }
    if (axes.empty()) {
      for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
    }
    if (pads.size() != 2 * axes.size()) {
      return InvalidArgumentError(
          "pads has {} values; expected {} (begin and end for each of {} axes) for data of shape {}",
          pads.size(), 2 * axes.size(), axes.size(), x->shape);
    }

    params_.in_shape = x->shape;
    params_.pads_begin.assign(static_cast<size_t>(rank), 0);
    params_.pads_end.assign(static_cast<size_t>(rank), 0);
    params_.element_size = DataTypeSize(x->dtype);
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (size_t i = 0; i < axes.size(); ++i) {
      KINGLET_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axes[i], rank));
      if (seen[axis]) return InvalidArgumentError("axis {} is listed twice", axes[i]);
      seen[axis] = true;
      params_.pads_begin[axis] = pads[i];
      params_.pads_end[axis] = pads[i + axes.size()];
    }
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t begin = params_.pads_begin[d];
      const int64_t end = params_.pads_end[d];
      const int64_t kept = x->shape[d] - (begin < 0 ? -begin : 0) - (end < 0 ? -end : 0);
      if (kept < 0) {
        return InvalidArgumentError("pads crop {} elements from axis {} of size {}", x->shape[d] - kept, d,
                                    x->shape[d]);
      }
      if (params_.mode != PadMode::kConstant && kept == 0 && (begin > 0 || end > 0)) {
        return InvalidArgumentError("mode '{}' cannot pad axis {}, which has no elements to repeat", mode, d);
      }
    }

    TensorRef* y = ctx.output(0);
    y->dtype = x->dtype;
    y->shape = kernels::reference::PaddedShape(params_);
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    if (read_constant_input_) std::memcpy(constant_, ctx.input(2)->data, params_.element_size);
    kernels::reference::Pad(params_, ctx.input(0)->data, constant_, ctx.output(0)->data);
    return Status::Ok();
  }

 private:
  kernels::reference::PadParams params_;
  alignas(8) unsigned char constant_[8] = {};
  bool read_constant_input_ = false;
};

}  // namespace

std::unique_ptr<Op> CreatePad() { return std::make_unique<PadOp>(); }

}  // namespace kinglet::ops
