#include "ops/sliding_window.h"

#include <string>

#include "kernels/reference/conv.h"  // kMaxSpatialRank
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

std::string ListToString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

// Reads an ints attribute that needs `count` values, or returns `count` copies of `fallback`.
Result<std::vector<int64_t>> ReadPerAxis(const ir::Attributes& attrs, const char* name, size_t count,
                                         int64_t fallback, int64_t min_value) {
  if (!attrs.Has(name)) return std::vector<int64_t>(count, fallback);
  std::vector<int64_t> v = attrs.GetInts(name);
  if (v.size() != count) {
    return InvalidArgumentError("attribute '{}' has {} values {}; expected {} (one per spatial axis)", name,
                                v.size(), ListToString(v), count);
  }
  for (int64_t x : v) {
    if (x < min_value) {
      return InvalidArgumentError("attribute '{}' = {} must hold values >= {}", name, ListToString(v),
                                  min_value);
    }
  }
  return v;
}

}  // namespace

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

Result<WindowAttrs> ReadWindowAttrs(const ir::Attributes& attrs, size_t spatial_rank,
                                    const std::vector<int64_t>* weight_kernel) {
  if (spatial_rank < 1 || spatial_rank > static_cast<size_t>(kernels::reference::kMaxSpatialRank)) {
    return UnsupportedError("input has {} spatial axes; 1..{} are supported", spatial_rank,
                            kernels::reference::kMaxSpatialRank);
  }
  WindowAttrs w;
  const std::string auto_pad = attrs.GetString("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    w.auto_pad = AutoPad::kNotSet;
  } else if (auto_pad == "VALID") {
    w.auto_pad = AutoPad::kValid;
  } else if (auto_pad == "SAME_UPPER") {
    w.auto_pad = AutoPad::kSameUpper;
  } else if (auto_pad == "SAME_LOWER") {
    w.auto_pad = AutoPad::kSameLower;
  } else {
    return UnsupportedError("attribute 'auto_pad' = '{}'; expected NOTSET, VALID, SAME_UPPER or SAME_LOWER",
                            auto_pad);
  }

  if (weight_kernel != nullptr) {
    w.kernel = *weight_kernel;
    if (attrs.Has("kernel_shape") && attrs.GetInts("kernel_shape") != w.kernel) {
      return InvalidArgumentError("attribute 'kernel_shape' = {} does not match the weight's spatial dims {}",
                                  ListToString(attrs.GetInts("kernel_shape")), ListToString(w.kernel));
    }
  } else {
    if (!attrs.Has("kernel_shape")) {
      return InvalidArgumentError("required attribute 'kernel_shape' is missing");
    }
    KINGLET_ASSIGN_OR_RETURN(w.kernel, ReadPerAxis(attrs, "kernel_shape", spatial_rank, 1, 1));
  }
  for (int64_t k : w.kernel) {
    if (k < 1) return InvalidArgumentError("kernel {} has an empty axis", ListToString(w.kernel));
  }
  KINGLET_ASSIGN_OR_RETURN(w.strides, ReadPerAxis(attrs, "strides", spatial_rank, 1, 1));
  KINGLET_ASSIGN_OR_RETURN(w.dilations, ReadPerAxis(attrs, "dilations", spatial_rank, 1, 1));
  KINGLET_ASSIGN_OR_RETURN(std::vector<int64_t> pads, ReadPerAxis(attrs, "pads", 2 * spatial_rank, 0, 0));
  w.pads_begin.assign(pads.begin(), pads.begin() + spatial_rank);
  w.pads_end.assign(pads.begin() + spatial_rank, pads.end());
  if (w.auto_pad != AutoPad::kNotSet) {
    for (int64_t p : pads) {
      if (p != 0) {
        return InvalidArgumentError(
            "attribute 'pads' = {} together with auto_pad={} is ambiguous; use one or the other",
            ListToString(pads), auto_pad);
      }
    }
  }
  return w;
}

Result<std::vector<int64_t>> ResolveWindowOutput(const std::vector<int64_t>& in, bool ceil_mode,
                                                 WindowAttrs* w) {
  std::vector<int64_t> out(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    const int64_t effective_kernel = (w->kernel[d] - 1) * w->dilations[d] + 1;
    const int64_t stride = w->strides[d];
    switch (w->auto_pad) {
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        out[d] = (in[d] + stride - 1) / stride;
        int64_t total = (out[d] - 1) * stride + effective_kernel - in[d];
        if (total < 0) total = 0;
        const int64_t smaller = total / 2;
        w->pads_begin[d] = w->auto_pad == AutoPad::kSameUpper ? smaller : total - smaller;
        w->pads_end[d] = total - w->pads_begin[d];
        break;
      }
      case AutoPad::kValid:
        w->pads_begin[d] = 0;
        w->pads_end[d] = 0;
        [[fallthrough]];
      case AutoPad::kNotSet: {
        const int64_t padded = in[d] + w->pads_begin[d] + w->pads_end[d];
        if (padded < effective_kernel) {
          return InvalidArgumentError(
              "kernel of extent {} (kernel {}, dilation {}) does not fit spatial axis {} of size {} padded "
              "to {}",
              effective_kernel, w->kernel[d], w->dilations[d], d, in[d], padded);
        }
        const int64_t span = padded - effective_kernel;
        out[d] = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil_mode && (out[d] - 1) * stride >= in[d] + w->pads_begin[d]) --out[d];
        break;
      }
    }
    if (out[d] < 1) {
      return InvalidArgumentError("spatial axis {} of size {} gives an empty output", d, in[d]);
    }
  }
  return out;
}

}  // namespace kinglet::ops
