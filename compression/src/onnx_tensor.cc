#include "onnx_tensor.h"

#include <cstring>
#include <limits>
#include <string>

namespace kinglet::compression {

namespace {

std::string TensorLabel(const onnx::TensorProto& proto) {
  return proto.name().empty() ? std::string("tensor <unnamed>") : "tensor '" + proto.name() + "'";
}

// Copies `count` values of a repeated proto field into `out`, converting each element.
template <typename Dst, typename Field>
void CopyConverted(const Field& field, int64_t count, Dst* out) {
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Dst>(field.Get(static_cast<int>(i)));
}

}  // namespace

std::string OnnxDataTypeName(int32_t onnx_code) {
  switch (onnx_code) {
    case onnx::TensorProto::UNDEFINED:
      return "undefined";
    case onnx::TensorProto::FLOAT:
      return "float32";
    case onnx::TensorProto::UINT8:
      return "uint8";
    case onnx::TensorProto::INT8:
      return "int8";
    case onnx::TensorProto::UINT16:
      return "uint16";
    case onnx::TensorProto::INT16:
      return "int16";
    case onnx::TensorProto::INT32:
      return "int32";
    case onnx::TensorProto::INT64:
      return "int64";
    case onnx::TensorProto::STRING:
      return "string";
    case onnx::TensorProto::BOOL:
      return "bool";
    case onnx::TensorProto::FLOAT16:
      return "float16";
    case onnx::TensorProto::DOUBLE:
      return "float64";
    case onnx::TensorProto::UINT32:
      return "uint32";
    case onnx::TensorProto::UINT64:
      return "uint64";
    case onnx::TensorProto::COMPLEX64:
      return "complex64";
    case onnx::TensorProto::COMPLEX128:
      return "complex128";
    case onnx::TensorProto::BFLOAT16:
      return "bfloat16";
  }
  return "code" + std::to_string(onnx_code);
}

Result<DataType> DataTypeFromOnnx(int32_t onnx_code, const std::string& what) {
  if (onnx_code == onnx::TensorProto::UNDEFINED) return DataType::kUndefined;
  // kinglet::DataType codes equal ONNX's, so a known code converts as-is.
  if (IsKnownDataType(onnx_code)) return static_cast<DataType>(onnx_code);
  return Status::Unsupported(what + ": dtype " + OnnxDataTypeName(onnx_code) +
                             " is not supported (supported: float32, int64, int32, int8, uint8, "
                             "bool); convert the model to one of these types");
}

Result<Tensor> DecodeTensorProto(const onnx::TensorProto& proto) {
  const std::string label = TensorLabel(proto);
  if (proto.data_location() == onnx::TensorProto::EXTERNAL || proto.external_data_size() > 0) {
    return Status::Unsupported(label +
                               ": external data is not supported; re-export the model "
                               "with its weights embedded (onnx.save(..., save_as_external_data=False))");
  }
  if (proto.has_segment()) {
    return Status::Unsupported(label + ": segmented tensors are not supported");
  }
  KINGLET_ASSIGN_OR_RETURN(DataType dtype, DataTypeFromOnnx(proto.data_type(), label));
  if (dtype == DataType::kUndefined) {
    return Status::InvalidArgument(label + ": data_type is not set");
  }

  Shape shape(proto.dims().begin(), proto.dims().end());
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) return Status::InvalidArgument(label + ": negative dimension in " + ShapeToString(shape));
    if (d != 0 && count > std::numeric_limits<int64_t>::max() / d) {
      return Status::InvalidArgument(label + ": element count of " + ShapeToString(shape) + " overflows");
    }
    count *= d;
  }
  const size_t elem_size = DataTypeSize(dtype);

  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (static_cast<uint64_t>(count) > raw.size() / elem_size ||
        raw.size() != static_cast<size_t>(count) * elem_size) {
      return Status::InvalidArgument(label + ": raw_data holds " + std::to_string(raw.size()) +
                                     " bytes but " + DataTypeName(dtype) + ShapeToString(shape) + " needs " +
                                     std::to_string(count) + " x " + std::to_string(elem_size));
    }
    Tensor tensor(dtype, std::move(shape));
    // raw_data is little-endian by the ONNX spec, which is also the only byte order Kinglet
    // targets (x86-64, ARM64), so the bytes are copied as they are.
    if (!raw.empty()) std::memcpy(tensor.raw_data(), raw.data(), raw.size());
    return tensor;
  }

  // Typed storage: float32 in float_data, int64 in int64_data, the narrower integer types and
  // bool in int32_data (ONNX stores them widened).
  int64_t stored = 0;
  switch (dtype) {
    case DataType::kFloat32:
      stored = proto.float_data_size();
      break;
    case DataType::kInt64:
      stored = proto.int64_data_size();
      break;
    default:
      stored = proto.int32_data_size();
      break;
  }
  if (stored != count) {
    return Status::InvalidArgument(label + ": holds " + std::to_string(stored) + " elements but " +
                                   DataTypeName(dtype) + ShapeToString(shape) + " needs " +
                                   std::to_string(count));
  }
  Tensor tensor(dtype, std::move(shape));
  switch (dtype) {
    case DataType::kFloat32:
      CopyConverted(proto.float_data(), count, tensor.data<float>());
      break;
    case DataType::kInt64:
      CopyConverted(proto.int64_data(), count, tensor.data<int64_t>());
      break;
    case DataType::kInt32:
      CopyConverted(proto.int32_data(), count, tensor.data<int32_t>());
      break;
    case DataType::kInt8:
      CopyConverted(proto.int32_data(), count, tensor.data<int8_t>());
      break;
    case DataType::kUint8:
      CopyConverted(proto.int32_data(), count, tensor.data<uint8_t>());
      break;
    case DataType::kBool: {
      uint8_t* out = tensor.data<uint8_t>();
      for (int64_t i = 0; i < count; ++i) out[i] = proto.int32_data(static_cast<int>(i)) != 0;
      break;
    }
    case DataType::kUndefined:
      break;
  }
  return tensor;
}

}  // namespace kinglet::compression
