// Concat: joins inputs along one axis. Each input is one strided copy into its band of the
// output, planned in Prepare.
#include <string>
#include <vector>

#include "kernels/reference/copy.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

class ConcatOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    if (ctx.input_count() == 0) return InvalidArgumentError("expects at least 1 input, got 0");
    for (size_t i = 0; i < ctx.input_count(); ++i) {
      if (ctx.input(i) == nullptr) {
        return InvalidArgumentError("input {} is missing; every Concat input is required", i);
      }
    }
    const TensorRef* first = ctx.input(0);
    if (first->rank() == 0) {
      return InvalidArgumentError("inputs must have rank >= 1, got a scalar");
    }
    if (!ctx.attr().Has("axis")) return InvalidArgumentError("attribute 'axis' is required");
    const int64_t raw_axis = ctx.attr().GetInt("axis", 0);
    KINGLET_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(raw_axis, first->rank()));

    Shape out_shape = first->shape;
    out_shape[axis] = 0;
    for (size_t i = 0; i < ctx.input_count(); ++i) {
      const TensorRef* in = ctx.input(i);
      if (in->dtype != first->dtype) {
        return InvalidArgumentError("input {} has dtype {} but input 0 has {}; all inputs must match", i,
                                    DataTypeName(in->dtype), DataTypeName(first->dtype));
      }
      bool compatible = in->rank() == first->rank();
      for (int64_t d = 0; compatible && d < first->rank(); ++d) {
        compatible = d == axis || in->shape[d] == first->shape[d];
      }
      if (!compatible) {
        return InvalidArgumentError(
            "input {} has shape {}, incompatible with input 0 {} for concatenation on axis {}", i, in->shape,
            first->shape, axis);
      }
      out_shape[axis] += in->shape[axis];
    }
    const size_t element_size = DataTypeSize(first->dtype);
    if (element_size == 0) return UnsupportedError("inputs have an unknown dtype");
    TensorRef* out = ctx.output(0);
    out->dtype = first->dtype;
    out->shape = out_shape;

    const std::vector<int64_t> out_strides = Strides(out_shape);
    copies_.clear();
    out_offsets_.clear();
    int64_t offset = 0;  // along the axis
    for (size_t i = 0; i < ctx.input_count(); ++i) {
      const TensorRef* in = ctx.input(i);
      ref::StridedCopyParams p;
      p.shape = in->shape;
      p.in_strides = Strides(in->shape);
      p.out_strides = out_strides;
      p.element_size = element_size;
      copies_.push_back(ref::SimplifyStridedCopy(std::move(p)));
      out_offsets_.push_back(static_cast<size_t>(offset * out_strides[axis]) * element_size);
      offset += in->shape[axis];
    }
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    if (ctx.output(0)->element_count() == 0) return Status::Ok();  // buffers may be null
    char* out = ctx.output(0)->as<char>();
    for (size_t i = 0; i < copies_.size(); ++i) {
      // The session plans inputs as slices of the output where it can (its producer already
      // wrote it in place).
      if (ctx.input(i)->data == out + out_offsets_[i]) continue;
      ref::StridedCopy(copies_[i], ctx.input(i)->data, out + out_offsets_[i]);
    }
    return Status::Ok();
  }

 private:
  std::vector<ref::StridedCopyParams> copies_;  // one per input
  std::vector<size_t> out_offsets_;             // bytes into the output, one per input
};

}  // namespace

std::unique_ptr<Op> CreateConcat() { return std::make_unique<ConcatOp>(); }

}  // namespace kinglet::ops
