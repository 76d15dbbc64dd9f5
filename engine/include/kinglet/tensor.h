// Tensor: a typed, shaped, 64-byte-aligned block of memory.
//
// Copying a Tensor is cheap and shares the buffer (like a shared_ptr); use Clone() for a deep
// copy. A Tensor may also view memory it does not own (Tensor::View), in which case the caller
// keeps that memory alive. Not thread-safe for concurrent writes; concurrent reads are fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kinglet {

// Numeric codes match ONNX's TensorProto.DataType so importers need no table.
enum class DataType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUint8 = 2,
  kInt8 = 3,
  kInt32 = 6,
  kInt64 = 7,
  kBool = 9,
};

// Bytes per element, or 0 for kUndefined / unknown codes.
size_t DataTypeSize(DataType dtype);
const char* DataTypeName(DataType dtype);
bool IsKnownDataType(int32_t code);

using Shape = std::vector<int64_t>;

// Product of dims; 1 for a scalar (empty shape).
int64_t ElementCount(const Shape& shape);
// "[1,3,224,224]"
std::string ShapeToString(const Shape& shape);

class Tensor {
 public:
  static constexpr size_t kAlignment = 64;

  Tensor() = default;
  // Allocates a zero-filled tensor.
  Tensor(DataType dtype, Shape shape);

  // Views external memory; `data` must stay alive and hold ElementCount(shape) elements.
  static Tensor View(DataType dtype, Shape shape, void* data);
  static Tensor FromFloats(Shape shape, const std::vector<float>& values);
  static Tensor FromInt64s(Shape shape, const std::vector<int64_t>& values);

  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t element_count() const { return ElementCount(shape_); }
  size_t byte_size() const { return static_cast<size_t>(element_count()) * DataTypeSize(dtype_); }
  bool empty() const { return data_ == nullptr && element_count() != 0; }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  template <typename T> T* data() { return static_cast<T*>(data_); }
  template <typename T> const T* data() const { return static_cast<const T*>(data_); }

  Tensor Clone() const;

 private:
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
  std::shared_ptr<void> owner_;  // null for views
  void* data_ = nullptr;
};

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

}  // namespace kinglet
