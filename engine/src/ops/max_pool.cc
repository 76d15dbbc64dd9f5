// MaxPool (ONNX opsets 1..): float32, int8 and uint8, any number of spatial axes, strides,
// pads, auto_pad, dilations, ceil_mode, and the optional int64 Indices output (storage_order).
#include "kernels/max_pool_2d.h"
#include "kernels/reference/pool.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "ops/sliding_window.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

class MaxPoolOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, 1));
    const TensorRef* x = ctx.input(0);
    dtype_ = x->dtype;
    if (dtype_ != DataType::kFloat32 && dtype_ != DataType::kInt8 && dtype_ != DataType::kUint8) {
      return UnsupportedError("input X has dtype {}; float32, int8 and uint8 are supported",
                              DataTypeName(dtype_));
    }
    if (x->rank() < 3) {
      return InvalidArgumentError("input X must have shape [N, C, spatial...] (rank >= 3), got {}", x->shape);
    }
    const size_t rank = static_cast<size_t>(x->rank() - 2);
    const std::vector<int64_t> in_spatial(x->shape.begin() + 2, x->shape.end());
    KINGLET_ASSIGN_OR_RETURN(WindowAttrs window, ReadWindowAttrs(ctx.attr(), rank, nullptr));
    const bool ceil_mode = ctx.attr().GetInt("ceil_mode", 0) != 0;
    KINGLET_ASSIGN_OR_RETURN(std::vector<int64_t> out_spatial,
                             ResolveWindowOutput(in_spatial, ceil_mode, &window));
    const int64_t storage_order = ctx.attr().GetInt("storage_order", 0);
    if (storage_order != 0 && storage_order != 1) {
      return InvalidArgumentError(
          "attribute 'storage_order' must be 0 (row major) or 1 (column major), got {}", storage_order);
    }

    params_.planes = x->shape[0] * x->shape[1];
    params_.in_spatial = in_spatial;
    params_.out_spatial = out_spatial;
    params_.kernel = window.kernel;
    params_.strides = window.strides;
    params_.dilations = window.dilations;
    params_.pads_begin = window.pads_begin;
    params_.pads_end = window.pads_end;
    params_.column_major_indices = storage_order == 1;

    Shape out_shape = {x->shape[0], x->shape[1]};
    out_shape.insert(out_shape.end(), out_spatial.begin(), out_spatial.end());
    TensorRef* y = ctx.output(0);
    y->dtype = dtype_;
    y->shape = out_shape;
    if (TensorRef* indices = ctx.output(1)) {
      indices->dtype = DataType::kInt64;
      indices->shape = out_shape;
    }
    fast_ = dtype_ == DataType::kFloat32 && ctx.output(1) == nullptr && kernels::MaxPool2dApplies(params_);
    if (fast_) ctx.scratch_bytes = kernels::MaxPool2dScratchBytes(params_, ctx.pool->size());
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    const TensorRef* x = ctx.input(0);
    TensorRef* y = ctx.output(0);
    int64_t* indices = ctx.output(1) != nullptr ? ctx.output(1)->as<int64_t>() : nullptr;
    namespace ref = kernels::reference;
    switch (dtype_) {
      case DataType::kInt8:
        ref::MaxPool(params_, x->as<const int8_t>(), y->as<int8_t>(), indices);
        break;
      case DataType::kUint8:
        ref::MaxPool(params_, x->as<const uint8_t>(), y->as<uint8_t>(), indices);
        break;
      default:
        if (fast_) {
          kernels::MaxPool2d(params_, x->as<const float>(), y->as<float>(), ctx.pool, ctx.scratch);
        } else {
          ref::MaxPool(params_, x->as<const float>(), y->as<float>(), indices);
        }
        break;
    }
    return Status::Ok();
  }

 private:
  kernels::reference::PoolParams params_;
  DataType dtype_ = DataType::kFloat32;
  bool fast_ = false;
};

}  // namespace

std::unique_ptr<Op> CreateMaxPool() { return std::make_unique<MaxPoolOp>(); }

}  // namespace kinglet::ops
