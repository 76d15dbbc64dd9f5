// The op interface: every operator is a class with Prepare and Eval (as in tflite-micro).
//
// Prepare runs when the session plans (once per distinct set of input shapes): it reads
// attributes, validates input dtypes and shapes, sets each output's dtype and shape, and may
// request scratch memory. After a successful Prepare, Eval must be safe to run blindly: it only
// checks what depends on data (an index read from a tensor). Eval never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/attributes.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"
#include "runtime/thread_pool.h"

namespace kinglet::ops {

// A tensor as an op sees it. Shape and dtype are set before Eval; `data` points into the
// session's arena (or at constant/input memory) and is valid only during Eval — except for
// inputs with `is_constant`, whose data is also readable in Prepare.
struct TensorRef {
  DataType dtype = DataType::kUndefined;
  Shape shape;
  void* data = nullptr;
  bool is_constant = false;  // initializer or a graph input fixed at planning time
  // An initializer: the same values at the same address for the session's life, so an op may
  // keep what it derives from them (packed weights) across re-plans. A small graph input is
  // constant for one plan only.
  bool is_initializer = false;
  // A constant the artifact stored as int8 (per channel): ops with an int8 kernel run it in int8.
  bool stored_as_int8 = false;

  int64_t element_count() const { return ElementCount(shape); }
  size_t byte_size() const { return static_cast<size_t>(element_count()) * DataTypeSize(dtype); }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  template <typename T> T* as() const { return static_cast<T*>(data); }
};

struct OpContext {
  const std::string* node_name = nullptr;
  const ir::Attributes* attrs = nullptr;
  int64_t opset = 13;
  // Absent optional inputs are nullptr; trailing absent inputs may simply be missing, so use
  // input(i) rather than indexing directly.
  std::vector<const TensorRef*> inputs;
  std::vector<TensorRef*> outputs;

  // Prepare sets this to request scratch; Eval finds it in `scratch` (64-byte aligned).
  size_t scratch_bytes = 0;
  void* scratch = nullptr;

  // The session's intra-op threads; never null. Prepare sizes per-thread scratch by its size().
  runtime::ThreadPool* pool = nullptr;

  size_t input_count() const { return inputs.size(); }
  const TensorRef* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  TensorRef* output(size_t i) const { return i < outputs.size() ? outputs[i] : nullptr; }
  const ir::Attributes& attr() const { return *attrs; }
};

class Op {
 public:
  virtual ~Op() = default;
  virtual Status Prepare(OpContext& ctx) = 0;
  virtual Status Eval(OpContext& ctx) = 0;
};

using OpFactory = std::unique_ptr<Op> (*)();

// The op registered for ONNX op type `op_type`, or nullptr.
OpFactory FindOp(const std::string& op_type);
// Every registered op type, sorted.
std::vector<std::string> RegisteredOps();

}  // namespace kinglet::ops
