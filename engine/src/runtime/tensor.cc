#include "kinglet/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/status_format.h"

namespace kinglet {

size_t DataTypeSize(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32: return 4;
    case DataType::kUint8: return 1;
    case DataType::kInt8: return 1;
    case DataType::kInt32: return 4;
    case DataType::kInt64: return 8;
    case DataType::kBool: return 1;
    case DataType::kUndefined: return 0;
  }
  return 0;
}

const char* DataTypeName(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32: return "float32";
    case DataType::kUint8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kBool: return "bool";
    case DataType::kUndefined: return "undefined";
  }
  return "unknown";
}

bool IsKnownDataType(int32_t code) {
  return DataTypeSize(static_cast<DataType>(code)) != 0;
}

int64_t ElementCount(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeToString(const Shape& shape) { return FormatMessage("{}", shape); }

namespace {

std::shared_ptr<void> AllocateAligned(size_t bytes) {
  size_t rounded = (bytes + Tensor::kAlignment - 1) / Tensor::kAlignment * Tensor::kAlignment;
  if (rounded == 0) rounded = Tensor::kAlignment;
  void* p = std::aligned_alloc(Tensor::kAlignment, rounded);
  if (p == nullptr) {
#if defined(__cpp_exceptions)
    throw std::bad_alloc();
#else
    std::abort();  // the app build (KINGLET_APP_ENGINE) has no exceptions: as operator new would
#endif
  }
  std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace

Tensor::Tensor(DataType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  owner_ = AllocateAligned(byte_size());
  data_ = owner_.get();
}

Tensor Tensor::View(DataType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  return t;
}

Tensor Tensor::FromFloats(Shape shape, const std::vector<float>& values) {
  Tensor t(DataType::kFloat32, std::move(shape));
  if (!values.empty()) std::memcpy(t.data_, values.data(), std::min(t.byte_size(), values.size() * sizeof(float)));
  return t;
}

Tensor Tensor::FromInt64s(Shape shape, const std::vector<int64_t>& values) {
  Tensor t(DataType::kInt64, std::move(shape));
  if (!values.empty()) std::memcpy(t.data_, values.data(), std::min(t.byte_size(), values.size() * sizeof(int64_t)));
  return t;
}

Tensor Tensor::Clone() const {
  Tensor t(dtype_, shape_);
  if (byte_size() > 0 && data_ != nullptr) std::memcpy(t.data_, data_, byte_size());
  return t;
}

}  // namespace kinglet
