#include "onnx_attributes.h"

#include <string>

namespace kinglet::compression {

namespace {

// IR version 1 files may leave `type` unset; the populated field then says what it is.
onnx::AttributeProto::AttributeType EffectiveType(const onnx::AttributeProto& p) {
  if (p.type() != onnx::AttributeProto::UNDEFINED) return p.type();
  if (p.has_f()) return onnx::AttributeProto::FLOAT;
  if (p.has_i()) return onnx::AttributeProto::INT;
  if (p.has_s()) return onnx::AttributeProto::STRING;
  if (p.has_t()) return onnx::AttributeProto::TENSOR;
  if (p.has_g()) return onnx::AttributeProto::GRAPH;
  if (p.floats_size() > 0) return onnx::AttributeProto::FLOATS;
  if (p.ints_size() > 0) return onnx::AttributeProto::INTS;
  if (p.strings_size() > 0) return onnx::AttributeProto::STRINGS;
  if (p.tensors_size() > 0) return onnx::AttributeProto::TENSORS;
  if (p.graphs_size() > 0) return onnx::AttributeProto::GRAPHS;
  return onnx::AttributeProto::UNDEFINED;
}

}  // namespace

Result<ir::Attribute> ConvertAttribute(const onnx::AttributeProto& proto) {
  ir::Attribute attr;
  attr.name = proto.name();
  const onnx::AttributeProto::AttributeType type = EffectiveType(proto);
  switch (type) {
    case onnx::AttributeProto::INT:
      attr.kind = ir::Attribute::Kind::kInt;
      attr.i = proto.i();
      return attr;
    case onnx::AttributeProto::FLOAT:
      attr.kind = ir::Attribute::Kind::kFloat;
      attr.f = proto.f();
      return attr;
    case onnx::AttributeProto::STRING:
      attr.kind = ir::Attribute::Kind::kString;
      attr.s = proto.s();
      return attr;
    case onnx::AttributeProto::INTS:
      attr.kind = ir::Attribute::Kind::kInts;
      attr.ints.assign(proto.ints().begin(), proto.ints().end());
      return attr;
    case onnx::AttributeProto::FLOATS:
      attr.kind = ir::Attribute::Kind::kFloats;
      attr.floats.assign(proto.floats().begin(), proto.floats().end());
      return attr;
    case onnx::AttributeProto::STRINGS:
      attr.kind = ir::Attribute::Kind::kStrings;
      attr.strings.assign(proto.strings().begin(), proto.strings().end());
      return attr;
    case onnx::AttributeProto::UNDEFINED:
      return Status::InvalidArgument("attribute '" + proto.name() + "' has no type and no value");
    default:
      return Status::Unsupported("attribute '" + proto.name() + "' of type " +
                                 onnx::AttributeProto::AttributeType_Name(type) + " is not supported");
  }
}

}  // namespace kinglet::compression
