#include "ops/op_util.h"

#include <algorithm>

#include "runtime/status_format.h"

namespace kinglet::ops {

Status ExpectInputCount(const OpContext& ctx, size_t min, size_t max) {
  size_t present = ctx.inputs.size();
  // Trailing omitted inputs do not count.
  while (present > 0 && ctx.inputs[present - 1] == nullptr) --present;
  if (present < min || present > max) {
    if (min == max) return InvalidArgumentError("expects {} inputs, got {}", min, present);
    return InvalidArgumentError("expects {}..{} inputs, got {}", min, max, present);
  }
  for (size_t i = 0; i < min; ++i) {
    if (ctx.inputs[i] == nullptr) {
      return InvalidArgumentError("required input {} is missing", i);
    }
  }
  return Status::Ok();
}

Status ExpectSingleOutput(const OpContext& ctx) {
  if (ctx.output(0) == nullptr) return InvalidArgumentError("output 0 is missing");
  for (size_t i = 1; i < ctx.outputs.size(); ++i) {
    if (ctx.outputs[i] != nullptr) return InvalidArgumentError("expects 1 output");
  }
  return Status::Ok();
}

Status ExpectDtype(const TensorRef* t, DataType dtype, const char* what) {
  if (t->dtype != dtype) {
    return UnsupportedError("{} has dtype {}; only {} is supported", what, DataTypeName(t->dtype),
                            DataTypeName(dtype));
  }
  return Status::Ok();
}

Status ExpectRank(const TensorRef* t, int64_t rank, const char* what) {
  if (t->rank() != rank) {
    return InvalidArgumentError("{} must have rank {}, got shape {}", what, rank, t->shape);
  }
  return Status::Ok();
}

Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) {
    return InvalidArgumentError("axis {} is out of range for rank {}", axis, rank);
  }
  return axis < 0 ? axis + rank : axis;
}

Result<Shape> BroadcastShapes(const Shape& a, const Shape& b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return InvalidArgumentError("shapes {} and {} cannot be broadcast together", a, b);
    }
  }
  return out;
}

Result<std::vector<int64_t>> ReadConstantInts(const TensorRef* t, const char* what) {
  if (t == nullptr || !t->is_constant || (t->data == nullptr && t->element_count() != 0)) {
    return UnsupportedError(
        "{} must be a constant (an initializer or a graph input); values computed inside the graph are not "
        "supported",
        what);
  }
  std::vector<int64_t> out(static_cast<size_t>(t->element_count()));
  if (t->dtype == DataType::kInt64) {
    std::copy_n(t->as<const int64_t>(), out.size(), out.begin());
  } else if (t->dtype == DataType::kInt32) {
    std::copy_n(t->as<const int32_t>(), out.size(), out.begin());
  } else {
    return UnsupportedError("{} must be int32 or int64, got {}", what, DataTypeName(t->dtype));
  }
  return out;
}

Result<std::vector<float>> ReadConstantFloats(const TensorRef* t, const char* what) {
  if (t == nullptr || !t->is_constant || (t->data == nullptr && t->element_count() != 0)) {
    return UnsupportedError("{} must be a constant", what);
  }
  if (t->dtype != DataType::kFloat32) {
    return UnsupportedError("{} must be float32, got {}", what, DataTypeName(t->dtype));
  }
  const float* p = t->as<const float>();
  return std::vector<float>(p, p + t->element_count());
}

std::vector<int64_t> Strides(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i) {
    s[i] = s[i + 1] * shape[i + 1];
  }
  return s;
}

std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out) {
  std::vector<int64_t> in_strides = Strides(in);
  std::vector<int64_t> s(out.size(), 0);
  size_t offset = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) {
    s[offset + i] = in[i] == 1 ? 0 : in_strides[i];
  }
  return s;
}

}  // namespace kinglet::ops
