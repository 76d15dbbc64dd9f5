// Split: cuts the input along one axis into the node's outputs. Each output is one strided copy
// out of its band of the input, planned in Prepare.
//
// The part sizes come from the `split` attribute (opset < 13) or the optional `split` input
// (opset >= 13); without them the axis is cut into equal parts, one per output. (Opset 18's
// `num_outputs` and uneven last part are not needed for opsets 7..17.)
#include <string>
#include <vector>

#include "kernels/reference/copy.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

class SplitOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, ctx.opset >= 13 ? 2 : 1));
    const TensorRef* in = ctx.input(0);
    if (in->rank() == 0) return InvalidArgumentError("input must have rank >= 1, got a scalar");
    const size_t element_size = DataTypeSize(in->dtype);
    if (element_size == 0) return UnsupportedError("input has an unknown dtype");
    const int64_t raw_axis = ctx.attr().GetInt("axis", 0);
    KINGLET_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(raw_axis, in->rank()));
    const int64_t dim = in->shape[axis];
    const size_t parts = ctx.outputs.size();
    if (parts == 0) return InvalidArgumentError("expects at least 1 output, got 0");

    std::vector<int64_t> split;
    bool has_split = false;
    if (ctx.opset >= 13) {
      if (ctx.input(1) != nullptr) {
        KINGLET_ASSIGN_OR_RETURN(split, ReadConstantInts(ctx.input(1), "input 'split'"));
        has_split = true;
      }
    } else if (ctx.attr().Has("split")) {
      split = ctx.attr().GetInts("split");
      has_split = true;
    }
    if (has_split) {
      if (split.size() != parts) {
        return InvalidArgumentError("'split' has {} entries but the node has {} outputs; they must match",
                                    split.size(), parts);
      }
      int64_t total = 0;
      for (int64_t s : split) {
        if (s < 0) {
          return InvalidArgumentError("'split' entry {} is negative; part sizes must be >= 0", s);
        }
        total += s;
      }
      if (total != dim) {
        return InvalidArgumentError("'split' sums to {} but axis {} of input {} has size {}", total, axis,
                                    in->shape, dim);
      }
    } else {
      const int64_t n = static_cast<int64_t>(parts);
      if (dim % n != 0) {
        return InvalidArgumentError(
            "axis {} of size {} cannot be split into {} equal parts; give 'split' with the part sizes", axis,
            dim, n);
      }
      split.assign(parts, dim / n);
    }

    const std::vector<int64_t> in_strides = Strides(in->shape);
    copies_.assign(parts, {});
    in_offsets_.assign(parts, 0);
    int64_t offset = 0;  // along the axis
    for (size_t i = 0; i < parts; ++i) {
      Shape part_shape = in->shape;
      part_shape[axis] = split[i];
      if (TensorRef* out = ctx.output(i)) {
        out->dtype = in->dtype;
        out->shape = part_shape;
      }
      ref::StridedCopyParams p;
      p.in_strides = in_strides;
      p.out_strides = Strides(part_shape);
      p.shape = std::move(part_shape);
      p.element_size = element_size;
      copies_[i] = ref::SimplifyStridedCopy(std::move(p));
      in_offsets_[i] = static_cast<size_t>(offset * in_strides[axis]) * element_size;
      offset += split[i];
    }
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    const TensorRef* in = ctx.input(0);
    if (in->element_count() == 0) return Status::Ok();  // buffers may be null
    const char* src = in->as<const char>();
    for (size_t i = 0; i < copies_.size(); ++i) {
      if (TensorRef* out = ctx.output(i)) ref::StridedCopy(copies_[i], src + in_offsets_[i], out->data);
    }
    return Status::Ok();
  }

 private:
  std::vector<ref::StridedCopyParams> copies_;  // one per output
  std::vector<size_t> in_offsets_;              // bytes into the input, one per output
};

}  // namespace

std::unique_ptr<Op> CreateSplit() { return std::make_unique<SplitOp>(); }

}  // namespace kinglet::ops
