// Portable N-d padding and cropping. Data movement only, so it works on any element type by
// size. Never allocates, never fails: the caller validates the parameters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kinglet::kernels::reference {

enum class PadMode {
  kConstant,  // new elements are `constant_value`
  kReflect,   // mirror without repeating the border element (numpy "reflect")
  kEdge,      // repeat the border element
};

// One entry per axis in each vector. A negative pad crops that many elements from that side;
// cropping happens first, then reflect/edge pad from what remains (the ONNX reference does the
// same). The caller guarantees in + begin + end >= 0 per axis and, for reflect/edge, that an
// axis that grows keeps at least one element after cropping.
struct PadParams {
  std::vector<int64_t> in_shape;
  std::vector<int64_t> pads_begin;
  std::vector<int64_t> pads_end;
  PadMode mode = PadMode::kConstant;
  size_t element_size = 4;
};

// Output shape: in_shape[d] + pads_begin[d] + pads_end[d].
std::vector<int64_t> PaddedShape(const PadParams& p);

// `constant_value` points at one element (read in kConstant mode only).
void Pad(const PadParams& p, const void* x, const void* constant_value, void* y);

}  // namespace kinglet::kernels::reference
