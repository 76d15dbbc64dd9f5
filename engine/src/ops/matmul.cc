// MatMul on float32 with numpy semantics: a 1-D A is a row vector and a 1-D B a column vector
// (the added dim is removed from the output), and batch dims broadcast.
#include <memory>
#include <vector>

#include "kernels/reference/gemm.h"
#include "kernels/sgemm.h"
#include "ops/fused_activation.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

class MatMulOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 2, 2));
    KINGLET_RETURN_IF_ERROR(ExpectSingleOutput(ctx));
    const TensorRef* a = ctx.input(0);
    const TensorRef* b = ctx.input(1);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(a, DataType::kFloat32, "input A"));
    KINGLET_RETURN_IF_ERROR(ExpectDtype(b, DataType::kFloat32, "input B"));
    if (a->rank() == 0 || b->rank() == 0) {
      return InvalidArgumentError("inputs must have rank >= 1, got shapes {} and {}", a->shape, b->shape);
    }
    KINGLET_ASSIGN_OR_RETURN(activation_, ReadFusedActivation(ctx.attr()));
    // Promote 1-D operands to matrices; the promoted dims are dropped from the output below.
    Shape a_shape = a->shape;
    Shape b_shape = b->shape;
    if (a_shape.size() == 1) a_shape.insert(a_shape.begin(), 1);
    if (b_shape.size() == 1) b_shape.push_back(1);
    const int64_t m = a_shape[a_shape.size() - 2];
    const int64_t k = a_shape.back();
    const int64_t n = b_shape.back();
    if (b_shape[b_shape.size() - 2] != k) {
      return InvalidArgumentError("inner dimensions differ: A is {} and B is {}", a->shape, b->shape);
    }
    const Shape a_batch(a_shape.begin(), a_shape.end() - 2);
    const Shape b_batch(b_shape.begin(), b_shape.end() - 2);
    KINGLET_ASSIGN_OR_RETURN(const Shape batch, BroadcastShapes(a_batch, b_batch));

    Shape out_shape = batch;
    if (a->rank() > 1) out_shape.push_back(m);
    if (b->rank() > 1) out_shape.push_back(n);

    params_ = ref::GemmParams{};
    params_.m = m;
    params_.n = n;
    params_.k = k;
    params_.lda = k;
    params_.ldb = n;
    params_.ldy = n;
    a_offsets_.clear();
    b_offsets_.clear();
    if (ElementCount(b_batch) == 1 && a_batch == batch) {
      // B is one matrix shared by every batch and A's batches are contiguous rows: one GEMM
      // with M = batch * M (the common activations x weights case).
      params_.m = ElementCount(batch) * m;
      a_offsets_.push_back(0);
      b_offsets_.push_back(0);
    } else {
      PlanBatches(a_batch, b_batch, batch, m * k, k * n);
    }
    // A constant B shared by every batch (the layer's weights) is packed for the GEMM once.
    if (!b->is_constant || b_offsets_.size() != 1) {
      packed_b_.reset();
    } else if (packed_b_ == nullptr || !b->is_initializer || packed_from_ != b->data) {
      packed_b_ = std::make_unique<kernels::PackedMatrix>(
          kernels::PackSgemmB(gemm_, k, n, kernels::MatrixView{b->as<const float>(), n, 1}));
      packed_from_ = b->data;
    }
    ctx.scratch_bytes = kernels::SgemmThreadScratchBytes(gemm_, Problem(nullptr, nullptr, nullptr), ctx.pool->size()) *
                        ctx.pool->size();
    ctx.output(0)->dtype = DataType::kFloat32;
    ctx.output(0)->shape = std::move(out_shape);
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    const float* a = ctx.input(0)->as<const float>();
    const float* b = ctx.input(1)->as<const float>();
    float* y = ctx.output(0)->as<float>();
    const int64_t y_matrix = params_.m * params_.n;
    for (size_t i = 0; i < a_offsets_.size(); ++i) {
      kernels::SgemmRun(gemm_, Problem(a + a_offsets_[i], b + b_offsets_[i], y + static_cast<int64_t>(i) * y_matrix),
                        ctx.pool, ctx.scratch);
    }
    return Status::Ok();
  }

 private:
  kernels::SgemmProblem Problem(const float* a, const float* b, float* y) const {
    kernels::SgemmProblem pr;
    pr.m = params_.m;
    pr.n = params_.n;
    pr.k = params_.k;
    pr.a = kernels::MatrixView{a, params_.k, 1};
    pr.packed_b = packed_b_.get();
    pr.b = kernels::MatrixView{b, params_.n, 1};
    pr.c = y;
    pr.ldc = params_.n;
    pr.epilogue.activation = activation_;
    return pr;
  }

  // Element offsets of A's and B's matrix for each output batch, in row-major batch order.
  void PlanBatches(const Shape& a_batch, const Shape& b_batch, const Shape& batch, int64_t a_matrix,
                   int64_t b_matrix) {
    const std::vector<int64_t> a_strides = BroadcastStrides(a_batch, batch);
    const std::vector<int64_t> b_strides = BroadcastStrides(b_batch, batch);
    const int64_t count = ElementCount(batch);
    std::vector<int64_t> index(batch.size(), 0);
    for (int64_t i = 0; i < count; ++i) {
      int64_t a_off = 0;
      int64_t b_off = 0;
      for (size_t d = 0; d < batch.size(); ++d) {
        a_off += index[d] * a_strides[d];
        b_off += index[d] * b_strides[d];
      }
      a_offsets_.push_back(a_off * a_matrix);
      b_offsets_.push_back(b_off * b_matrix);
      for (size_t d = batch.size(); d-- > 0;) {
        if (++index[d] < batch[d]) break;
        index[d] = 0;
      }
    }
  }

  const kernels::SgemmKernel& gemm_ = kernels::BestSgemmKernel();
  ref::GemmParams params_;
  std::vector<int64_t> a_offsets_;
  std::vector<int64_t> b_offsets_;
  ref::FusedActivationParams activation_;
  std::unique_ptr<kernels::PackedMatrix> packed_b_;
  const void* packed_from_ = nullptr;
};

}  // namespace

std::unique_ptr<Op> CreateMatMul() { return std::make_unique<MatMulOp>(); }

}  // namespace kinglet::ops
