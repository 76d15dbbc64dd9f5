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
std::unique_ptr<Op> CreateLstm() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateGru() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateRnn() { return std::make_unique<TodoOp>(); }
}  // namespace kinglet::ops
