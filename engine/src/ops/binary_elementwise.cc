// Add, Sub, Mul, Div (opset 7+): numpy-broadcast arithmetic on float32, int32 and int64.
#include <memory>

#include "kernels/binary_float.h"
#include "kernels/reference/elementwise.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

enum class Arithmetic { kAdd, kSub, kMul, kDiv };

class BinaryArithmeticOp : public Op {
 public:
  explicit BinaryArithmeticOp(Arithmetic kind) : kind_(kind) {}

  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 2, 2));
    KINGLET_RETURN_IF_ERROR(ExpectSingleOutput(ctx));
    const TensorRef* a = ctx.input(0);
    const TensorRef* b = ctx.input(1);
    if (a->dtype != b->dtype) {
      return InvalidArgumentError("inputs have different dtypes ({} and {}); both must be the same",
                                  DataTypeName(a->dtype), DataTypeName(b->dtype));
    }
    if (a->dtype != DataType::kFloat32 && a->dtype != DataType::kInt32 &&
        a->dtype != DataType::kInt64) {
      return UnsupportedError("dtype {} is not supported; supported: float32, int32, int64",
                              DataTypeName(a->dtype));
    }
    KINGLET_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes(a->shape, b->shape));
    plan_ = ref::PlanBroadcast(a->shape, b->shape, out_shape);
    dtype_ = a->dtype;
    same_shape_float_ = dtype_ == DataType::kFloat32 && a->shape == b->shape;
    ctx.output(0)->dtype = dtype_;
    ctx.output(0)->shape = std::move(out_shape);
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    if (ctx.output(0)->element_count() == 0) return Status::Ok();
    if (same_shape_float_) {
      kernels::BinaryFloatSameShape(FastOp(), ctx.input(0)->as<const float>(), ctx.input(1)->as<const float>(),
                                    ctx.output(0)->as<float>(), ctx.output(0)->element_count(), ctx.pool);
      return Status::Ok();
    }
    switch (dtype_) {
      case DataType::kInt32:
        return Run<int32_t>(ctx);
      case DataType::kInt64:
        return Run<int64_t>(ctx);
      default:
        return Run<float>(ctx);
    }
  }

 private:
  kernels::BinaryFloatOp FastOp() const {
    switch (kind_) {
      case Arithmetic::kSub:
        return kernels::BinaryFloatOp::kSub;
      case Arithmetic::kMul:
        return kernels::BinaryFloatOp::kMul;
      case Arithmetic::kDiv:
        return kernels::BinaryFloatOp::kDiv;
      default:
        return kernels::BinaryFloatOp::kAdd;
    }
  }

  template <typename T>
  Status Run(OpContext& ctx) const {
    const T* a = ctx.input(0)->as<const T>();
    const T* b = ctx.input(1)->as<const T>();
    T* y = ctx.output(0)->as<T>();
    switch (kind_) {
      case Arithmetic::kAdd:
        ref::Add(plan_, a, b, y);
        break;
      case Arithmetic::kSub:
        ref::Sub(plan_, a, b, y);
        break;
      case Arithmetic::kMul:
        ref::Mul(plan_, a, b, y);
        break;
      case Arithmetic::kDiv:
        if (!ref::Div(plan_, a, b, y)) {
          return InvalidArgumentError("integer division by zero (the divisor input holds a 0)");
        }
        break;
    }
    return Status::Ok();
  }

  const Arithmetic kind_;
  DataType dtype_ = DataType::kUndefined;
  bool same_shape_float_ = false;  // the fast kernel's case
  ref::BroadcastPlan plan_;
};

}  // namespace

std::unique_ptr<Op> CreateAdd() { return std::make_unique<BinaryArithmeticOp>(Arithmetic::kAdd); }
std::unique_ptr<Op> CreateSub() { return std::make_unique<BinaryArithmeticOp>(Arithmetic::kSub); }
std::unique_ptr<Op> CreateMul() { return std::make_unique<BinaryArithmeticOp>(Arithmetic::kMul); }
std::unique_ptr<Op> CreateDiv() { return std::make_unique<BinaryArithmeticOp>(Arithmetic::kDiv); }

}  // namespace kinglet::ops
