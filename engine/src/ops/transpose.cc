// Transpose: permutes the axes (default: reverses them). One strided copy that walks the output
// in order and reads the input through permuted strides; Prepare merges axes the permutation
// keeps together so the inner loop is as long as possible.
#include <string>
#include <vector>

#include "kernels/reference/copy.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

class TransposeOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, 1));
    const TensorRef* in = ctx.input(0);
    const int64_t rank = in->rank();
    const size_t element_size = DataTypeSize(in->dtype);
    if (element_size == 0) return UnsupportedError("input has an unknown dtype");

    std::vector<int64_t> perm;
    if (ctx.attr().Has("perm")) {
      perm = ctx.attr().GetInts("perm");
      if (static_cast<int64_t>(perm.size()) != rank) {
        return InvalidArgumentError("'perm' has {} entries but the input {} has rank {}", perm.size(),
                                    in->shape, rank);
      }
      std::vector<bool> seen(static_cast<size_t>(rank), false);
      for (int64_t axis : perm) {
        if (axis < 0 || axis >= rank || seen[axis]) {
          return InvalidArgumentError(
              "'perm' entry {} is out of range or repeated; 'perm' must be a permutation of 0..{}", axis,
              rank - 1);
        }
        seen[axis] = true;
      }
    } else {
      for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
    }

    const std::vector<int64_t> in_strides = Strides(in->shape);
    ref::StridedCopyParams p;
    p.element_size = element_size;
    for (int64_t axis : perm) {
      p.shape.push_back(in->shape[axis]);
      p.in_strides.push_back(in_strides[axis]);
    }
    p.out_strides = Strides(p.shape);
    TensorRef* out = ctx.output(0);
    out->dtype = in->dtype;
    out->shape = p.shape;
    copy_ = ref::SimplifyStridedCopy(std::move(p));
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    ref::StridedCopy(copy_, ctx.input(0)->data, ctx.output(0)->data);
    return Status::Ok();
  }

 private:
  ref::StridedCopyParams copy_;
};

}  // namespace

std::unique_ptr<Op> CreateTranspose() { return std::make_unique<TransposeOp>(); }

}  // namespace kinglet::ops
