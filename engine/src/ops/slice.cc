// Slice: takes a strided window (possibly reversed) of the input. The window is resolved and
// clamped in Prepare, exactly as the ONNX spec describes, into one strided copy.
//
// Opset < 10 reads `starts`, `ends` and optional `axes` attributes (step 1); opset >= 10 reads the
// inputs starts, ends, axes and steps (int32 or int64). Out-of-range starts/ends clamp, so the
// INT64_MAX / INT64_MIN "to the end" sentinels work.
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/reference/copy.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

// One axis of the window: `count` elements from `start`, `step` apart.
struct AxisWindow {
  int64_t start = 0;
  int64_t step = 1;
  int64_t count = 0;
};

// The ONNX rules: negative start/end count from the back, then clamp to [0, dim] for positive
// steps and to [0, dim-1] (start) / [-1, dim-1] (end) for negative ones.
AxisWindow ResolveWindow(int64_t start, int64_t end, int64_t step, int64_t dim) {
  AxisWindow w;
  w.step = step;
  if (dim == 0) return w;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
  w.start = start;
  // |step| may be as large as 2^63, so divide in uint64; the span is at most dim + 1.
  const int64_t span = step > 0 ? end - start : start - end;
  const uint64_t magnitude = step > 0 ? static_cast<uint64_t>(step) : 0 - static_cast<uint64_t>(step);
  w.count = span > 0 ? static_cast<int64_t>((static_cast<uint64_t>(span) - 1) / magnitude + 1) : 0;
  return w;
}

class SliceOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    std::vector<int64_t> starts, ends, axes, steps;
    bool has_axes = false, has_steps = false;
    if (ctx.opset >= 10) {
      KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 3, 5));
      KINGLET_ASSIGN_OR_RETURN(starts, ReadConstantInts(ctx.input(1), "input 'starts'"));
      KINGLET_ASSIGN_OR_RETURN(ends, ReadConstantInts(ctx.input(2), "input 'ends'"));
      if (ctx.input(3) != nullptr) {
        KINGLET_ASSIGN_OR_RETURN(axes, ReadConstantInts(ctx.input(3), "input 'axes'"));
        has_axes = true;
      }
      if (ctx.input(4) != nullptr) {
        KINGLET_ASSIGN_OR_RETURN(steps, ReadConstantInts(ctx.input(4), "input 'steps'"));
        has_steps = true;
      }
    } else {
      KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, 1));
      if (!ctx.attr().Has("starts") || !ctx.attr().Has("ends")) {
        return InvalidArgumentError("attributes 'starts' and 'ends' are required");
      }
      starts = ctx.attr().GetInts("starts");
      ends = ctx.attr().GetInts("ends");
      has_axes = ctx.attr().Has("axes");
      axes = ctx.attr().GetInts("axes");
    }
    const TensorRef* in = ctx.input(0);
    const int64_t rank = in->rank();
    const size_t element_size = DataTypeSize(in->dtype);
    if (element_size == 0) return UnsupportedError("input has an unknown dtype");

    const size_t n = starts.size();
    if (ends.size() != n || (has_axes && axes.size() != n) || (has_steps && steps.size() != n)) {
      return InvalidArgumentError(
          "starts, ends, axes and steps must have the same length; got {}, {}, {}, {}", n, ends.size(),
          (has_axes ? std::to_string(axes.size()) : "-"), (has_steps ? std::to_string(steps.size()) : "-"));
    }
    if (!has_axes) {
      if (static_cast<int64_t>(n) > rank) {
        return InvalidArgumentError("starts has {} entries but the input has rank {}", n, rank);
      }
      axes.resize(n);
      std::iota(axes.begin(), axes.end(), 0);
    }
    if (!has_steps) steps.assign(n, 1);

    std::vector<AxisWindow> windows(static_cast<size_t>(rank));
    for (int64_t d = 0; d < rank; ++d) windows[d] = {0, 1, in->shape[d]};
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (size_t i = 0; i < n; ++i) {
      if (axes[i] < -rank || axes[i] >= rank) {
        return InvalidArgumentError("axis {} is out of range for rank {}", axes[i], rank);
      }
      const int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (seen[axis]) {
        return InvalidArgumentError("axis {} appears more than once in 'axes'", axis);
      }
      seen[axis] = true;
      if (steps[i] == 0) {
        return InvalidArgumentError("step for axis {} is 0; steps must be non-zero", axis);
      }
      windows[axis] = ResolveWindow(starts[i], ends[i], steps[i], in->shape[axis]);
    }

    const std::vector<int64_t> in_strides = Strides(in->shape);
    ref::StridedCopyParams p;
    p.element_size = element_size;
    int64_t offset = 0;  // elements into the input
    for (int64_t d = 0; d < rank; ++d) {
      const AxisWindow& w = windows[d];
      p.shape.push_back(w.count);
      // With count <= 1 the stride is never applied; 0 also avoids overflowing a huge step.
      p.in_strides.push_back(w.count > 1 ? w.step * in_strides[d] : 0);
      offset += w.start * in_strides[d];
    }
    p.out_strides = Strides(p.shape);
    TensorRef* out = ctx.output(0);
    out->dtype = in->dtype;
    out->shape = p.shape;
    in_offset_ = out->element_count() == 0 ? 0 : static_cast<size_t>(offset) * element_size;
    copy_ = ref::SimplifyStridedCopy(std::move(p));
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    TensorRef* out = ctx.output(0);
    if (out->element_count() == 0) return Status::Ok();  // buffers may be null
    ref::StridedCopy(copy_, ctx.input(0)->as<const char>() + in_offset_, out->data);
    return Status::Ok();
  }

 private:
  ref::StridedCopyParams copy_;
  size_t in_offset_ = 0;  // bytes to the window's first element
};

}  // namespace

std::unique_ptr<Op> CreateSlice() { return std::make_unique<SliceOp>(); }

}  // namespace kinglet::ops
