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
std::unique_ptr<Op> CreateConcat() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateSplit() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateSlice() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateReshape() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateFlatten() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateTranspose() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateSqueeze() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateUnsqueeze() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateGather() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateIdentity() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateDropout() { return std::make_unique<TodoOp>(); }
}  // namespace kinglet::ops
