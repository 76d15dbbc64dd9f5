// The attributes Conv, ConvTranspose, MaxPool and AveragePool share (auto_pad, kernel_shape,
// strides, dilations, pads) and the ONNX output-size rules for a window sliding over the input.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/attributes.h"
#include "kinglet/status.h"

namespace kinglet::ops {

enum class AutoPad { kNotSet, kValid, kSameUpper, kSameLower };

struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;     // default 1
  std::vector<int64_t> dilations;   // default 1
  std::vector<int64_t> pads_begin;  // default 0; from `pads` = [x1_begin, x2_begin, ..., x1_end, ...]
  std::vector<int64_t> pads_end;
};

// Reads and checks the window attributes for `spatial_rank` axes: each list must have one value
// per axis, values must be positive (pads >= 0). `weight_kernel` is the kernel read from W for
// Conv/ConvTranspose (kernel_shape, if given, must match it); pools pass nullptr and must have
// kernel_shape. Nonzero explicit pads together with auto_pad other than NOTSET are rejected.
Result<WindowAttrs> ReadWindowAttrs(const ir::Attributes& attrs, size_t spatial_rank,
                                    const std::vector<int64_t>* weight_kernel);

// Output spatial sizes of a Conv or pool over `in` (spatial dims only), per the ONNX formulas;
// for VALID and SAME_* it replaces the pads in `window` with the ones it implies. In ceil_mode
// a last window that would start in the end padding is dropped (as PyTorch and the ONNX
// reference do). Error if the (dilated) kernel does not fit the padded input.
Result<std::vector<int64_t>> ResolveWindowOutput(const std::vector<int64_t>& in, bool ceil_mode,
                                                 WindowAttrs* window);

// Floor division (rounds toward negative infinity), as ONNX's Python formulas use.
int64_t FloorDiv(int64_t a, int64_t b);

}  // namespace kinglet::ops
