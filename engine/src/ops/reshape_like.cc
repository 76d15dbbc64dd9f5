// Reshape, Flatten, Squeeze, Unsqueeze and Identity: the output holds the input's bytes in the
// same order under a new shape. Each op only works out that shape in Prepare; Eval is one memcpy
// (skipped when the session has placed the output on top of the input).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

class CopyWithNewShape : public Op {
 public:
  Status Eval(OpContext& ctx) override {
    const TensorRef* in = ctx.input(0);
    TensorRef* out = ctx.output(0);
    const size_t bytes = in->byte_size();
    if (bytes > 0 && out->data != in->data) std::memcpy(out->data, in->data, bytes);
    return Status::Ok();
  }

 protected:
  // Validates the data input and sets output 0 to its dtype with `shape`.
  static Status SetOutput(OpContext& ctx, Shape shape) {
    const TensorRef* in = ctx.input(0);
    if (DataTypeSize(in->dtype) == 0) return UnsupportedError("input has an unknown dtype");
    if (ElementCount(shape) != in->element_count()) {
      return InternalError("new shape {} does not hold the {} input elements", shape, in->element_count());
    }
    TensorRef* out = ctx.output(0);
    out->dtype = in->dtype;
    out->shape = std::move(shape);
    return Status::Ok();
  }
};

// Resolves the axes of Squeeze/Unsqueeze against `rank`: negative axes count from the
// back; repeats are an error.
Result<std::vector<int64_t>> NormalizeAxes(const std::vector<int64_t>& axes, int64_t rank, int64_t opset) {
  std::vector<int64_t> out;
  for (int64_t axis : axes) {
    if (axis < -rank || axis >= rank) {
      return InvalidArgumentError("axis {} is out of range for rank {}", axis, rank);
    }
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (std::find(out.begin(), out.end(), a) != out.end()) {
      return InvalidArgumentError("axis {} appears more than once in 'axes'", a);
    }
    out.push_back(a);
  }
  return out;
}

class ReshapeOp : public CopyWithNewShape {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 2, 2));
    const TensorRef* in = ctx.input(0);
    KINGLET_RETURN_IF_ERROR(ExpectRank(ctx.input(1), 1, "input 'shape'"));
    KINGLET_ASSIGN_OR_RETURN(Shape shape, ReadConstantInts(ctx.input(1), "input 'shape'"));
    // allowzero (opset 14): a 0 in `shape` is a real zero-size dim instead of "copy this dim".
    const bool allow_zero = ctx.opset >= 14 && ctx.attr().GetInt("allowzero", 0) != 0;

    int64_t inferred = -1;  // position of the -1, if any
    int64_t known = 1;      // product of the other dims
    for (size_t i = 0; i < shape.size(); ++i) {
      const int64_t pos = static_cast<int64_t>(i);
      if (shape[i] == 0 && !allow_zero) {
        if (pos >= in->rank()) {
          return InvalidArgumentError(
              "'shape' entry {} is 0 (copy the input dim) but the input {} has only rank {}", i, in->shape,
              in->rank());
        }
        shape[i] = in->shape[i];
      } else if (shape[i] == -1) {
        if (inferred >= 0) {
          return InvalidArgumentError("'shape' has more than one -1; at most one dim can be inferred");
        }
        inferred = pos;
        continue;
      } else if (shape[i] < 0) {
        return InvalidArgumentError("'shape' entry {} is {}; dims must be >= -1", i, shape[i]);
      }
      known *= shape[i];
    }
    const int64_t count = in->element_count();
    if (inferred >= 0) {
      if (known == 0 || count % known != 0) {
        return InvalidArgumentError(
            "cannot infer the -1 dim: input {} has {} elements, the other dims of 'shape' hold {}", in->shape,
            count, known);
      }
      shape[inferred] = count / known;
    } else if (known != count) {
      return InvalidArgumentError("cannot reshape input {} ({} elements) to {} ({} elements)", in->shape,
                                  count, shape, known);
    }
    return SetOutput(ctx, std::move(shape));
  }
};

class FlattenOp : public CopyWithNewShape {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, 1));
    const TensorRef* in = ctx.input(0);
    const int64_t rank = in->rank();
    int64_t axis = ctx.attr().GetInt("axis", 1);
    if (axis < -rank || axis > rank) {
      return InvalidArgumentError("axis {} is out of range for rank {}; Flatten accepts -rank..rank", axis,
                                  rank);
    }
    if (axis < 0) axis += rank;
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= in->shape[d];
    int64_t inner = 1;
    for (int64_t d = axis; d < rank; ++d) inner *= in->shape[d];
    return SetOutput(ctx, {outer, inner});
  }
};

class SqueezeOp : public CopyWithNewShape {
 public:
  Status Prepare(OpContext& ctx) override {
    // Opset 13 moved `axes` from an attribute to an optional input.
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, ctx.opset >= 13 ? 2 : 1));
    const TensorRef* in = ctx.input(0);
    std::vector<int64_t> axes;
    bool has_axes = false;
    if (ctx.opset >= 13) {
      if (ctx.input(1) != nullptr) {
        KINGLET_ASSIGN_OR_RETURN(axes, ReadConstantInts(ctx.input(1), "input 'axes'"));
        has_axes = true;
      }
    } else if (ctx.attr().Has("axes")) {
      axes = ctx.attr().GetInts("axes");
      has_axes = true;
    }
    std::vector<bool> drop(static_cast<size_t>(in->rank()), false);
    // An empty `axes` list squeezes every size-1 dim, as if absent (onnxruntime does the same).
    if (has_axes && !axes.empty()) {
      KINGLET_ASSIGN_OR_RETURN(axes, NormalizeAxes(axes, in->rank(), ctx.opset));
      for (int64_t a : axes) {
        if (in->shape[a] != 1) {
          return InvalidArgumentError("cannot squeeze axis {} of input {}: its size is not 1", a, in->shape);
        }
        drop[a] = true;
      }
    } else {
      for (int64_t d = 0; d < in->rank(); ++d) drop[d] = in->shape[d] == 1;
    }
    Shape shape;
    for (int64_t d = 0; d < in->rank(); ++d) {
      if (!drop[d]) shape.push_back(in->shape[d]);
    }
    return SetOutput(ctx, std::move(shape));
  }
};

class UnsqueezeOp : public CopyWithNewShape {
 public:
  Status Prepare(OpContext& ctx) override {
    // Opset 13 moved the required `axes` from an attribute to an input.
    std::vector<int64_t> axes;
    if (ctx.opset >= 13) {
      KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 2, 2));
      KINGLET_ASSIGN_OR_RETURN(axes, ReadConstantInts(ctx.input(1), "input 'axes'"));
    } else {
      KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, 1));
      if (!ctx.attr().Has("axes")) return InvalidArgumentError("attribute 'axes' is required");
      axes = ctx.attr().GetInts("axes");
    }
    const TensorRef* in = ctx.input(0);
    // Axes index the output, whose rank counts the inserted dims.
    const int64_t out_rank = in->rank() + static_cast<int64_t>(axes.size());
    KINGLET_ASSIGN_OR_RETURN(axes, NormalizeAxes(axes, out_rank, ctx.opset));
    std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
    for (int64_t a : axes) inserted[a] = true;
    Shape shape;
    size_t next = 0;  // next input dim
    for (int64_t d = 0; d < out_rank; ++d) shape.push_back(inserted[d] ? 1 : in->shape[next++]);
    return SetOutput(ctx, std::move(shape));
  }
};

class IdentityOp : public CopyWithNewShape {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, 1));
    return SetOutput(ctx, ctx.input(0)->shape);
  }
};

}  // namespace

std::unique_ptr<Op> CreateReshape() { return std::make_unique<ReshapeOp>(); }
std::unique_ptr<Op> CreateFlatten() { return std::make_unique<FlattenOp>(); }
std::unique_ptr<Op> CreateSqueeze() { return std::make_unique<SqueezeOp>(); }
std::unique_ptr<Op> CreateUnsqueeze() { return std::make_unique<UnsqueezeOp>(); }
std::unique_ptr<Op> CreateIdentity() { return std::make_unique<IdentityOp>(); }

}  // namespace kinglet::ops
