// ONNX AttributeProto -> ir::Attribute.
#pragma once

#include "ir/attributes.h"
#include "kinglet/status.h"
#include "onnx/onnx_pb.h"

namespace kinglet::compression {

// Converts INT, FLOAT, STRING, INTS, FLOATS and STRINGS attributes. Any other kind (TENSOR,
// GRAPH, SPARSE_TENSOR, TYPE_PROTO and their lists) is Unsupported "attribute 'x' of type
// TENSOR is not supported"; the caller adds the node context.
Result<ir::Attribute> ConvertAttribute(const onnx::AttributeProto& proto);

}  // namespace kinglet::compression
