// Dropout, inference only: Y = X, and the optional mask output is all "kept".
//
// Training mode (opset 12+: the training_mode input is true) would need random numbers and is
// rejected. The mask is bool from opset 10; before that it has the data's type, so "kept" is 1.
#include <cstring>
#include <string>

#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

const char kTrainingUnsupported[] =
    "training_mode is true; only inference is supported (Y = X), so feed training_mode=false "
    "or drop the input";

// Writes `count` ones of `dtype` (1.0f for float32).
void FillOnes(DataType dtype, void* data, int64_t count) {
  char* out = static_cast<char*>(data);
  const size_t size = DataTypeSize(dtype);
  if (count == 0) return;
  if (size == 1) {
    std::memset(out, 1, static_cast<size_t>(count));
    return;
  }
  char one[8] = {};
  if (dtype == DataType::kFloat32) {
    const float f = 1.0f;
    std::memcpy(one, &f, sizeof f);
  } else if (dtype == DataType::kInt32) {
    const int32_t i = 1;
    std::memcpy(one, &i, sizeof i);
  } else {
    const int64_t i = 1;
    std::memcpy(one, &i, sizeof i);
  }
  for (int64_t i = 0; i < count; ++i) std::memcpy(out + i * size, one, size);
}

class DropoutOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    // Opset 12 turned the `ratio` attribute into inputs ratio and training_mode.
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, ctx.opset >= 12 ? 3 : 1));
    const TensorRef* in = ctx.input(0);
    if (DataTypeSize(in->dtype) == 0) return UnsupportedError("input has an unknown dtype");
    check_training_in_eval_ = false;
    if (const TensorRef* training = ctx.input(2)) {
      if (training->dtype != DataType::kBool || training->element_count() != 1) {
        return InvalidArgumentError("training_mode must be a bool scalar, got {} {}",
                                    DataTypeName(training->dtype), training->shape);
      }
      if (!training->is_constant) {
        check_training_in_eval_ = true;
      } else if (*training->as<const uint8_t>() != 0) {
        return UnsupportedError(kTrainingUnsupported);
      }
    }
    TensorRef* out = ctx.output(0);
    out->dtype = in->dtype;
    out->shape = in->shape;
    if (TensorRef* mask = ctx.output(1)) {
      mask->dtype = ctx.opset >= 10 ? DataType::kBool : in->dtype;
      mask->shape = in->shape;
    }
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    if (check_training_in_eval_ && *ctx.input(2)->as<const uint8_t>() != 0) {
      return UnsupportedError(kTrainingUnsupported);
    }
    const TensorRef* in = ctx.input(0);
    TensorRef* out = ctx.output(0);
    const size_t bytes = in->byte_size();
    if (bytes > 0 && out->data != in->data) std::memcpy(out->data, in->data, bytes);
    if (TensorRef* mask = ctx.output(1)) FillOnes(mask->dtype, mask->data, mask->element_count());
    return Status::Ok();
  }

 private:
  bool check_training_in_eval_ = false;  // training_mode is fed at run time
};

}  // namespace

std::unique_ptr<Op> CreateDropout() { return std::make_unique<DropoutOp>(); }

}  // namespace kinglet::ops
