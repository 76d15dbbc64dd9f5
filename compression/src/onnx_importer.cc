#include "kinglet/compression/onnx_importer.h"

#include <exception>
#include <fstream>
#include <new>
#include <sstream>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>

#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"
#include "onnx_attributes.h"
#include "onnx_tensor.h"
#include "onnx_version.h"
#include "ops/op.h"

namespace kinglet::compression {

namespace {

bool IsDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

// The ONNX node name, or "<op_type>_<index>" for the many exporters that leave it empty.
std::string NodeName(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? node.op_type() + "_" + std::to_string(index) : node.name();
}

Status CheckNodeDomains(const onnx::ModelProto& model) {
  for (int i = 0; i < model.graph().node_size(); ++i) {
    const onnx::NodeProto& node = model.graph().node(i);
    if (IsDefaultDomain(node.domain())) continue;
    int64_t version = 0;
    for (const auto& import : model.opset_import()) {
      if (import.domain() == node.domain()) version = import.version();
    }
    const std::string name = NodeName(node, i);
    return Status::Unsupported("node '" + name + "' (" + node.op_type() + ", " + node.domain() + " opset " +
                               std::to_string(version) + "): domain " + node.domain() +
                               " is not supported; only the default ONNX domain is");
  }
  return Status::Ok();
}

Status CheckModel(const onnx::ModelProto& model) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("the ONNX checker rejected the model: ") + e.what());
  }
  return Status::Ok();
}

Status InferShapes(onnx::ModelProto* model) {
  try {
    // error_mode 0: a node whose shape cannot be inferred keeps unknown shapes (the session
    // infers them from concrete inputs) instead of failing the import.
    onnx::shape_inference::InferShapes(*model);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("ONNX shape inference failed: ") + e.what());
  }
  return Status::Ok();
}

const char* TypeKindName(const onnx::TypeProto& type) {
  switch (type.value_case()) {
    case onnx::TypeProto::kTensorType:
      return "tensor";
    case onnx::TypeProto::kSequenceType:
      return "sequence";
    case onnx::TypeProto::kMapType:
      return "map";
    case onnx::TypeProto::kOptionalType:
      return "optional";
    case onnx::TypeProto::kSparseTensorType:
      return "sparse_tensor";
    default:
      return "unknown";
  }
}

std::string JoinRegisteredOps() {
  std::string text;
  for (const std::string& op : ops::RegisteredOps()) {
    if (!text.empty()) text += ", ";
    text += op;
  }
  return text;
}

// Converts one shape-inferred GraphProto into the IR. Values are created in the order graph
// inputs, initializers, node outputs, so value indices follow the ONNX file's own order.
class GraphConverter {
 public:
  // `source_opset` is the file's own opset when the model was converted to `opset` on import.
  GraphConverter(const onnx::GraphProto& proto, int64_t opset, int64_t source_opset)
      : proto_(proto), source_opset_(source_opset) {
    graph_.opset = opset;
  }

  Result<ir::Graph> Convert() {
    CollectTypes();
    KINGLET_RETURN_IF_ERROR(AddInitializers());
    KINGLET_RETURN_IF_ERROR(AddGraphInputs());
    for (int i = 0; i < proto_.node_size(); ++i) KINGLET_RETURN_IF_ERROR(AddNode(proto_.node(i), i));
    KINGLET_RETURN_IF_ERROR(AddGraphOutputs());
    return std::move(graph_);
  }

 private:
  void CollectTypes() {
    for (const auto& vi : proto_.input()) types_[vi.name()] = &vi.type();
    for (const auto& vi : proto_.value_info()) types_[vi.name()] = &vi.type();
    for (const auto& vi : proto_.output()) types_[vi.name()] = &vi.type();
  }

  std::string NodeContext(const onnx::NodeProto& node, int index) const {
    const std::string name = NodeName(node, index);
    std::string opset = "opset " + std::to_string(graph_.opset);
    if (source_opset_ != graph_.opset) opset += ", converted from opset " + std::to_string(source_opset_);
    return "node '" + name + "' (" + node.op_type() + ", " + opset + ")";
  }

  // A value with the dtype and shape shape inference found for `name` (unknown if none).
  Result<ir::Value> MakeValue(const std::string& name) const {
    ir::Value value;
    value.name = name;
    auto it = types_.find(name);
    if (it == types_.end()) return value;
    const onnx::TypeProto& type = *it->second;
    if (type.value_case() == onnx::TypeProto::VALUE_NOT_SET) return value;
    if (!type.has_tensor_type()) {
      return Status::Unsupported("value '" + name + "' has type " + TypeKindName(type) +
                                 "; only dense tensor values are supported");
    }
    const auto& tensor_type = type.tensor_type();
    KINGLET_ASSIGN_OR_RETURN(value.dtype, DataTypeFromOnnx(tensor_type.elem_type(), "value '" + name + "'"));
    if (tensor_type.has_shape()) {
      value.shape_known = true;
      for (const auto& dim : tensor_type.shape().dim()) {
        value.shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : -1);
      }
    }
    return value;
  }

  int32_t AddNamedValue(ir::Value value) {
    const std::string name = value.name;
    const int32_t index = graph_.AddValue(std::move(value));
    index_by_name_[name] = index;
    return index;
  }

  Status AddConstant(const std::string& name, Tensor tensor) {
    if (index_by_name_.count(name)) {
      return Status::InvalidArgument("constant '" + name + "' is defined twice");
    }
    ir::Value value;
    value.name = name;
    value.dtype = tensor.dtype();
    value.shape = tensor.shape();
    value.shape_known = true;
    const int32_t index = AddNamedValue(std::move(value));
    graph_.constants[index] = std::move(tensor);
    graph_.constant_encoding[index] = ir::Encoding::kDenseRaw;
    return Status::Ok();
  }

  Status AddInitializers() {
    if (proto_.sparse_initializer_size() > 0) {
      return Status::Unsupported("sparse initializers are not supported; store '" +
                                 proto_.sparse_initializer(0).values().name() + "' densely");
    }
    for (const auto& init : proto_.initializer()) {
      KINGLET_ASSIGN_OR_RETURN(Tensor tensor, DecodeTensorProto(init));
      KINGLET_RETURN_IF_ERROR(AddConstant(init.name(), std::move(tensor)));
    }
    return Status::Ok();
  }

  // IR < 4 lists initializers among the inputs too; they stay constants (not fed by callers).
  Status AddGraphInputs() {
    for (const auto& input : proto_.input()) {
      auto it = index_by_name_.find(input.name());
      if (it != index_by_name_.end()) {
        if (graph_.constants.count(it->second)) continue;
        return Status::InvalidArgument("graph input '" + input.name() + "' is listed twice");
      }
      KINGLET_ASSIGN_OR_RETURN(ir::Value value, MakeValue(input.name()));
      graph_.inputs.push_back(AddNamedValue(std::move(value)));
    }
    return Status::Ok();
  }

  Result<Tensor> ConstantNodeValue(const onnx::NodeProto& node) const {
    for (const auto& attr : node.attribute()) {
      const std::string& n = attr.name();
      if (n == "value") return DecodeTensorProto(attr.t());
      if (n == "value_float") return Tensor::FromFloats({}, {attr.f()});
      if (n == "value_floats") {
        return Tensor::FromFloats({attr.floats_size()}, {attr.floats().begin(), attr.floats().end()});
      }
      if (n == "value_int") return Tensor::FromInt64s({}, {attr.i()});
      if (n == "value_ints") {
        return Tensor::FromInt64s({attr.ints_size()}, {attr.ints().begin(), attr.ints().end()});
      }
      if (n == "value_string" || n == "value_strings") {
        return Status::Unsupported("dtype string is not supported");
      }
      if (n == "sparse_value") return Status::Unsupported("sparse constants are not supported");
    }
    return Status::InvalidArgument("Constant has no value attribute");
  }

  Status AddConstantNode(const onnx::NodeProto& node, int index) {
    if (node.output_size() != 1 || node.output(0).empty()) {
      return Status::InvalidArgument(NodeContext(node, index) + ": Constant must have one output");
    }
    Result<Tensor> tensor = ConstantNodeValue(node);
    if (!tensor.ok()) return tensor.status().WithContext(NodeContext(node, index));
    return AddConstant(node.output(0), std::move(tensor).value()).WithContext(NodeContext(node, index));
  }

  Status AddNode(const onnx::NodeProto& proto, int index) {
    if (proto.op_type() == "Constant") return AddConstantNode(proto, index);
    if (ops::FindOp(proto.op_type()) == nullptr) {
      return Status::Unsupported(NodeContext(proto, index) + ": op " + proto.op_type() +
                                 " is not supported; supported ops: " + JoinRegisteredOps());
    }

    ir::Node node;
    node.name = NodeName(proto, index);
    node.op_type = proto.op_type();
    for (const auto& attr_proto : proto.attribute()) {
      Result<ir::Attribute> attr = ConvertAttribute(attr_proto);
      if (!attr.ok()) return attr.status().WithContext(NodeContext(proto, index));
      node.attrs.Set(std::move(attr).value());
    }
    for (const std::string& name : proto.input()) {
      if (name.empty()) {
        node.inputs.push_back(ir::kNoValue);
        continue;
      }
      auto it = index_by_name_.find(name);
      if (it == index_by_name_.end()) {
        return Status::InvalidArgument(NodeContext(proto, index) + ": input '" + name +
                                       "' is not a graph input, initializer or earlier node output");
      }
      node.inputs.push_back(it->second);
    }
    for (const std::string& name : proto.output()) {
      if (name.empty()) {
        node.outputs.push_back(ir::kNoValue);
        continue;
      }
      if (index_by_name_.count(name)) {
        return Status::InvalidArgument(NodeContext(proto, index) + ": output '" + name +
                                       "' is already produced elsewhere");
      }
      Result<ir::Value> value = MakeValue(name);
      if (!value.ok()) return value.status().WithContext(NodeContext(proto, index));
      node.outputs.push_back(AddNamedValue(std::move(value).value()));
    }
    graph_.nodes.push_back(std::move(node));
    return Status::Ok();
  }

  std::string UniqueName(const std::string& base) const {
    std::string name = base;
    for (int n = 1; index_by_name_.count(name); ++n) name = base + "_" + std::to_string(n);
    return name;
  }

  // A graph output must be produced by a node (the .kgl output table points at node results),
  // so an output that is a constant or a graph input gets an Identity in front of it.
  Status AddGraphOutputs() {
    for (const auto& output : proto_.output()) {
      auto it = index_by_name_.find(output.name());
      if (it == index_by_name_.end()) {
        return Status::InvalidArgument("graph output '" + output.name() + "' is never produced");
      }
      int32_t source = it->second;
      const bool is_constant = graph_.constants.count(source) > 0;
      bool is_input = false;
      for (int32_t v : graph_.inputs) is_input = is_input || v == source;
      if (!is_constant && !is_input) {
        graph_.outputs.push_back(source);
        continue;
      }
      // Callers feed inputs by name, so an input keeps its name and the output gets a new one;
      // a constant's name is internal, so the constant is renamed and the output keeps its name.
      ir::Value out = graph_.values[source];
      if (is_constant) {
        const std::string renamed = UniqueName(out.name + "/constant");
        graph_.values[source].name = renamed;
        index_by_name_[renamed] = source;
      } else {
        out.name = UniqueName(out.name + "/output");
      }
      const int32_t out_index = AddNamedValue(out);
      ir::Node identity;
      identity.name = UniqueName("Identity_" + out.name);
      identity.op_type = "Identity";
      identity.inputs = {source};
      identity.outputs = {out_index};
      graph_.nodes.push_back(std::move(identity));
      graph_.outputs.push_back(out_index);
    }
    return Status::Ok();
  }

  const onnx::GraphProto& proto_;
  const int64_t source_opset_;
  ir::Graph graph_;
  std::unordered_map<std::string, const onnx::TypeProto*> types_;
  std::unordered_map<std::string, int32_t> index_by_name_;
};

Result<ir::Graph> ImportModel(const std::string& bytes, const std::string& source_name) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    return Status::InvalidArgument("not a valid ONNX model: " + source_name +
                                   " does not parse as an ONNX ModelProto");
  }
  if (!model.has_ir_version() || !model.has_graph()) {
    return Status::InvalidArgument("not a valid ONNX model: " + source_name +
                                   " has no ir_version or no graph");
  }
  // Domains first: training-only models import no default opset at all, and "domain
  // ai.onnx.preview.training is not supported" says more than "opset 1 is not supported".
  KINGLET_RETURN_IF_ERROR(CheckNodeDomains(model));
  // The opset before the checker, so that a model from a newer ONNX than the linked libonnx gets
  // "opset 18 is not supported" rather than a checker error about ops it does not know.
  const int64_t source_opset = DefaultOnnxOpset(model);
  KINGLET_RETURN_IF_ERROR(CheckOpsetReachable(source_opset));
  // The file as given is checked first: a malformed model is the caller's problem (InvalidArgument),
  // while anything failing after conversion is the converter's (Unsupported).
  KINGLET_RETURN_IF_ERROR(CheckModel(model));
  KINGLET_ASSIGN_OR_RETURN(const int64_t opset, ConvertToSupportedOpset(&model));
  KINGLET_RETURN_IF_ERROR(InferShapes(&model));

  KINGLET_ASSIGN_OR_RETURN(ir::Graph graph, GraphConverter(model.graph(), opset, source_opset).Convert());
  std::string producer = model.producer_name();
  if (!model.producer_version().empty()) producer += (producer.empty() ? "" : " ") + model.producer_version();
  graph.metadata["producer"] = producer;
  // The file name only: artifacts ship to phones, and the uploader's or server's directories
  // are nobody's business there.
  graph.metadata["source"] = std::filesystem::path(source_name).filename().string();
  if (opset != source_opset) graph.metadata["onnx_source_opset"] = std::to_string(source_opset);

  const std::string problem = ir::ValidateGraph(graph);
  if (!problem.empty()) return Status::InvalidArgument("imported graph is inconsistent: " + problem);
  return graph;
}

}  // namespace

Result<ir::Graph> ImportOnnxBytes(const std::string& bytes, const std::string& source_name) {
  // libonnx and protobuf report errors by throwing; nothing may escape into callers that rely
  // on Status (the daemon's job runner, the CLI).
  try {
    return ImportModel(bytes, source_name);
  } catch (const std::bad_alloc&) {
    return Status::InvalidArgument(source_name + ": out of memory while importing (tensor too large?)");
  } catch (const std::exception& e) {
    return Status::Internal(source_name + ": unexpected error while importing: " + e.what());
  } catch (...) {
    return Status::Internal(source_name + ": unexpected non-standard exception while importing");
  }
}

Result<ir::Graph> ImportOnnxFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::NotFound("cannot open ONNX model '" + path + "'");
  std::ostringstream bytes;
  bytes << file.rdbuf();
  if (file.bad()) return Status::IOError("error reading ONNX model '" + path + "'");
  return ImportOnnxBytes(bytes.str(), path);
}

}  // namespace kinglet::compression
