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
std::unique_ptr<Op> CreateConv() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateConvTranspose() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateMaxPool() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateAveragePool() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateGlobalAveragePool() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreateGlobalMaxPool() { return std::make_unique<TodoOp>(); }
std::unique_ptr<Op> CreatePad() { return std::make_unique<TodoOp>(); }
}  // namespace kinglet::ops
