// Gemm on float32: Y = alpha * op(A) * op(B) + beta * C, with C unidirectionally broadcast to
// [M, N]. C is required before opset 11 and optional from 11.
#include "kernels/reference/gemm.h"

#include <memory>

#include "kernels/qgemm.h"
#include "kernels/sgemm.h"
#include "kernels/sparse_gemm.h"
#include "ops/fused_activation.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

class GemmOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, ctx.opset >= 11 ? 2 : 3, 3));
    KINGLET_RETURN_IF_ERROR(ExpectSingleOutput(ctx));
    const TensorRef* a = ctx.input(0);
    const TensorRef* b = ctx.input(1);
    const TensorRef* c = ctx.input(2);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(a, DataType::kFloat32, "input A"));
    KINGLET_RETURN_IF_ERROR(ExpectDtype(b, DataType::kFloat32, "input B"));
    KINGLET_RETURN_IF_ERROR(ExpectRank(a, 2, "input A"));
    KINGLET_RETURN_IF_ERROR(ExpectRank(b, 2, "input B"));
    KINGLET_ASSIGN_OR_RETURN(activation_, ReadFusedActivation(ctx.attr()));

    const ir::Attributes& attrs = ctx.attr();
    ref::GemmParams p;
    p.trans_a = attrs.GetInt("transA", 0) != 0;
    p.trans_b = attrs.GetInt("transB", 0) != 0;
    p.alpha = attrs.GetFloat("alpha", 1.0f);
    p.beta = attrs.GetFloat("beta", 1.0f);
    p.m = a->shape[p.trans_a ? 1 : 0];
    p.k = a->shape[p.trans_a ? 0 : 1];
    p.n = b->shape[p.trans_b ? 0 : 1];
    const int64_t k_of_b = b->shape[p.trans_b ? 1 : 0];
    if (k_of_b != p.k) {
      return InvalidArgumentError(
          "inner dimensions differ: op(A) is {} and op(B) is {} (transA={}, transB={})", Shape{p.m, p.k},
          Shape{k_of_b, p.n}, p.trans_a, p.trans_b);
    }
    p.lda = a->shape[1];
    p.ldb = b->shape[1];
    p.ldy = p.n;
    if (c != nullptr) {
      KINGLET_RETURN_IF_ERROR(ExpectDtype(c, DataType::kFloat32, "input C"));
      KINGLET_RETURN_IF_ERROR(PlanBias(c->shape, p));
    }
    params_ = p;
    // Weights the artifact stored as int8 run through the int8 GEMM (A quantized per row at run
    // time); the plain product with a row-vector bias or none is all it supports.
    const bool plain = !p.trans_a && p.alpha == 1.0f &&
                       (c == nullptr || p.beta == 0.0f || (p.beta == 1.0f && p.ldc == 0 && p.c_col_stride == 1));
    int8_ = b->is_constant && b->stored_as_int8 && plain && p.k <= kernels::kQGemmMaxK;
    if (int8_) {
      if (quantized_b_ == nullptr || !b->is_initializer || quantized_from_ != b->data) {
        quantized_b_ = std::make_unique<kernels::QuantizedMatrix>(
            kernels::QuantizeSgemmB(p.k, p.n, BView(b->as<const float>())));
        quantized_from_ = b->data;
      }
      ctx.scratch_bytes = kernels::QGemmScratchBytes(p.m, p.k);
      ctx.output(0)->dtype = DataType::kFloat32;
      ctx.output(0)->shape = {p.m, p.n};
      return Status::Ok();
    }
    // Pruned weights at a few rows of A: a product over the nonzeros only (the dense GEMM would
    // stream the zeros from memory). Density is measured once per initializer.
    sparse_ = false;
    // (Indices and offsets are 32-bit: at most 2^32 - 1 weights.)
    if (b->is_constant && plain && p.m <= kernels::kSparseGemmMaxRows && p.k * p.n < (int64_t{1} << 32)) {
      if (!b->is_initializer || density_from_ != b->data) {
        density_ = kernels::Density(p.k, p.n, BView(b->as<const float>()));
        density_from_ = b->data;
        sparse_b_.reset();
      }
      sparse_ = density_ <= kernels::kSparseGemmMaxDensity;
    }
    if (sparse_) {
      if (sparse_b_ == nullptr) {
        sparse_b_ = std::make_unique<kernels::SparseColumns>(
            kernels::CompressSparseB(p.k, p.n, BView(b->as<const float>())));
      }
      ctx.scratch_bytes = 0;
      ctx.output(0)->dtype = DataType::kFloat32;
      ctx.output(0)->shape = {p.m, p.n};
      return Status::Ok();
    }
    // A constant B (the layer's weights) is packed for the GEMM once.
    if (!b->is_constant) {
      packed_b_.reset();
    } else if (packed_b_ == nullptr || !b->is_initializer || packed_from_ != b->data) {
      packed_b_ = std::make_unique<kernels::PackedMatrix>(kernels::PackSgemmB(gemm_, p.k, p.n, BView(b->as<const float>())));
      packed_from_ = b->data;
    }
    ctx.scratch_bytes = kernels::SgemmThreadScratchBytes(gemm_, Problem(ctx), ctx.pool->size()) * ctx.pool->size();
    ctx.output(0)->dtype = DataType::kFloat32;
    ctx.output(0)->shape = {p.m, p.n};
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    const TensorRef* c = ctx.input(2);
    const ref::GemmParams& p = params_;
    if (int8_) {
      kernels::QGemmProblem q;
      q.m = p.m;
      q.a = ctx.input(0)->as<const float>();
      q.lda = p.lda;
      q.b = quantized_b_.get();
      q.c = ctx.output(0)->as<float>();
      q.ldc = p.n;
      q.col_bias = c != nullptr && p.beta != 0.0f ? c->as<const float>() : nullptr;
      q.activation = activation_;
      kernels::QGemmRun(qgemm_, q, ctx.pool, ctx.scratch);
      return Status::Ok();
    }
    if (sparse_) {
      kernels::SparseGemmProblem sp;
      sp.m = p.m;
      sp.a = ctx.input(0)->as<const float>();
      sp.lda = p.lda;
      sp.b = sparse_b_.get();
      sp.dense_b = BView(ctx.input(1)->as<const float>());
      sp.c = ctx.output(0)->as<float>();
      sp.ldc = p.n;
      sp.col_bias = c != nullptr && p.beta != 0.0f ? c->as<const float>() : nullptr;
      sp.activation = activation_;
      kernels::SparseGemmRun(sp, ctx.pool);
      return Status::Ok();
    }
    float* y = ctx.output(0)->as<float>();
    const kernels::SgemmProblem problem = Problem(ctx);
    // A general C: beta * C first (broadcast through its strides), then the product adds onto
    // it. (A row-vector C with beta 1 is the epilogue's column bias instead.) With beta == 0, C
    // is never read (BLAS semantics, so NaNs in an unused C stay out of Y).
    if (problem.accumulate) {
      const float* c_data = c->as<const float>();
      for (int64_t i = 0; i < p.m; ++i) {
        for (int64_t j = 0; j < p.n; ++j) y[i * p.n + j] = p.beta * c_data[i * p.ldc + j * p.c_col_stride];
      }
    }
    kernels::SgemmRun(gemm_, problem, ctx.pool, ctx.scratch);
    return Status::Ok();
  }

 private:
  kernels::MatrixView BView(const float* b) const {
    const ref::GemmParams& p = params_;
    return p.trans_b ? kernels::MatrixView{b, 1, p.ldb} : kernels::MatrixView{b, p.ldb, 1};
  }

  // The GEMM for the current plan; data pointers are only meaningful during Eval.
  kernels::SgemmProblem Problem(const OpContext& ctx) const {
    const ref::GemmParams& p = params_;
    const TensorRef* c = ctx.input(2);
    const float* a = ctx.input(0)->as<const float>();
    kernels::SgemmProblem pr;
    pr.m = p.m;
    pr.n = p.n;
    pr.k = p.k;
    pr.alpha = p.alpha;
    pr.a = p.trans_a ? kernels::MatrixView{a, 1, p.lda} : kernels::MatrixView{a, p.lda, 1};
    pr.packed_b = packed_b_.get();
    pr.b = BView(ctx.input(1)->as<const float>());
    pr.c = ctx.output(0)->as<float>();
    pr.ldc = p.n;
    const bool use_c = c != nullptr && p.beta != 0.0f;
    if (use_c && p.beta == 1.0f && p.ldc == 0 && p.c_col_stride == 1) {
      pr.epilogue.col_bias = c->as<const float>();
    } else {
      pr.accumulate = use_c;
    }
    pr.epilogue.activation = activation_;
    return pr;
  }

  // Sets C's strides so that it broadcasts to [M, N]; shapes as numpy, right-aligned.
  static Status PlanBias(const Shape& c, ref::GemmParams& p) {
    if (c.size() > 2) {
      return InvalidArgumentError("input C must have rank <= 2, got {}", c);
    }
    const int64_t rows = c.size() == 2 ? c[0] : 1;
    const int64_t cols = c.empty() ? 1 : c.back();
    if ((rows != 1 && rows != p.m) || (cols != 1 && cols != p.n)) {
      return InvalidArgumentError("input C of shape {} cannot be broadcast to the output shape {}", c,
                                  Shape{p.m, p.n});
    }
    p.ldc = rows == 1 ? 0 : cols;
    p.c_col_stride = cols == 1 ? 0 : 1;
    return Status::Ok();
  }

  const kernels::SgemmKernel& gemm_ = kernels::BestSgemmKernel();
  ref::GemmParams params_;
  ref::FusedActivationParams activation_;
  std::unique_ptr<kernels::PackedMatrix> packed_b_;
  const kernels::QGemmKernel& qgemm_ = kernels::BestQGemmKernel();
  bool int8_ = false;
  std::unique_ptr<kernels::QuantizedMatrix> quantized_b_;
  bool sparse_ = false;
  double density_ = 1.0;
  std::unique_ptr<kernels::SparseColumns> sparse_b_;
  // Packed / quantized / sparse weights are kept across re-plans only for initializers (same
  // address, same values for the session's life); these record which one.
  const void* packed_from_ = nullptr;
  const void* quantized_from_ = nullptr;
  const void* density_from_ = nullptr;
};

}  // namespace

std::unique_ptr<Op> CreateGemm() { return std::make_unique<GemmOp>(); }

}  // namespace kinglet::ops
