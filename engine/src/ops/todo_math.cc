// TEMPORARY during development: placeholders until the real ops of this family land.
// Delete this file when ops/<op>.cc defines every factory below.
#include "ops/op.h"

namespace kinglet::ops {
namespace {
class TodoOp : public Op {
 public:
  Status Prepare(OpContext&) override { return Status::Unsupported("op not implemented yet"); }
  Status Eval(OpContext&) override { return Status::Unsupported("op not implemented yet"); }
};
}  // namespace
std::unique_ptr<Op> CreateAdd() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateSub() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateMul() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateDiv() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateRelu() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateLeakyRelu() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreatePRelu() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateClip() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateSigmoid() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateTanh() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateHardSigmoid() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateHardSwish() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateElu() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateSoftmax() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateLogSoftmax() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateBatchNormalization() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateReduceMean() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateGemm() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateMatMul() { return std::make_unique<TodoOp>(); }
}  // namespace kinglet::ops
