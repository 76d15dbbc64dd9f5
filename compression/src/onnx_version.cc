#include "onnx_version.h"

#include <exception>
#include <string>
#include <utility>

#include "kinglet/compression/onnx_importer.h"
#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"
#include "onnx/version_converter/convert.h"

namespace kinglet::compression {

namespace {

bool IsDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

// The newest default-domain opset the linked libonnx has schemas for (17 for Debian's 1.12):
// neither the checker nor the converter can read a model beyond it.
int64_t LibonnxMaxOpset() {
  const auto& ranges = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = ranges.find("");
  return it == ranges.end() ? kMaxOnnxOpset : it->second.second;
}

std::string SupportedOpsetsText() {
  return "supported opsets are " + std::to_string(kMinOnnxOpset) + ".." + std::to_string(kMaxOnnxOpset) +
         " (models with opsets 1.." + std::to_string(kMinOnnxOpset - 1) + " are upgraded automatically)";
}

// libonnx's assertion messages lead with its build path and function ("/build/.../
// BaseConverter.h:66: adapter_lookup: Assertion `false` failed: No Adapter For Equal"); only the
// part after "failed: " means anything to the user.
std::string ConverterReason(const char* what) {
  std::string reason = what;
  const size_t assertion = reason.find("Assertion `");
  if (assertion == std::string::npos) return reason;
  const size_t failed = reason.find("failed: ", assertion);
  return failed == std::string::npos ? reason.substr(assertion) : reason.substr(failed + 8);
}

}  // namespace

int64_t DefaultOnnxOpset(const onnx::ModelProto& model) {
  int64_t opset = 1;
  for (const auto& import : model.opset_import()) {
    if (IsDefaultDomain(import.domain())) opset = import.version();
  }
  return opset;
}

Status CheckOpsetReachable(int64_t opset) {
  if (opset >= kMinOnnxOpset && opset <= kMaxOnnxOpset) return Status::Ok();
  const std::string unsupported =
      "opset " + std::to_string(opset) + " is not supported; " + SupportedOpsetsText();
  if (opset < 1) return Status::Unsupported(unsupported);
  const int64_t libonnx_max = LibonnxMaxOpset();
  if (opset > libonnx_max) {
    return Status::Unsupported(
        unsupported + "; the ONNX library Kinglet uses knows opsets up to " + std::to_string(libonnx_max) +
        " and cannot convert it down: re-export with opset " + std::to_string(kMaxOnnxOpset) + " or lower");
  }
  return Status::Ok();
}

// Before opset 7, PRelu's slope of shape [C] was per channel (axis 1); from opset 7 it
// broadcasts numpy-style against the last axis. libonnx's 6 -> 7 adapter leaves it as is, so
// reshape such slopes to [C, 1, ..., 1] here. Needs value shapes (run shape inference first).
void FixLegacyPReluSlopes(onnx::ModelProto* model) {
  onnx::GraphProto* graph = model->mutable_graph();
  auto rank_of = [graph](const std::string& name) -> int {
    for (const auto* list : {&graph->input(), &graph->value_info(), &graph->output()}) {
      for (const auto& v : *list) {
        if (v.name() == name && v.type().tensor_type().has_shape()) return v.type().tensor_type().shape().dim_size();
      }
    }
    return -1;
  };
  auto uses_of = [graph](const std::string& name) {
    int uses = 0;
    for (const auto& node : graph->node()) {
      for (const auto& in : node.input()) uses += in == name;
    }
    return uses;
  };
  for (const auto& node : graph->node()) {
    if (node.op_type() != "PRelu" || node.input_size() < 2) continue;
    const int rank = rank_of(node.input(0));
    if (rank <= 2 || uses_of(node.input(1)) != 1) continue;
    for (auto& init : *graph->mutable_initializer()) {
      if (init.name() != node.input(1) || init.dims_size() != 1 || init.dims(0) <= 1) continue;
      for (int i = 2; i < rank; ++i) init.add_dims(1);
      for (auto* list : {graph->mutable_input(), graph->mutable_value_info()}) {
        for (auto& v : *list) {
          if (v.name() != init.name()) continue;
          auto* shape = v.mutable_type()->mutable_tensor_type()->mutable_shape();
          for (int i = 2; i < rank; ++i) shape->add_dim()->set_dim_value(1);
        }
      }
    }
  }
}

Result<int64_t> ConvertToSupportedOpset(onnx::ModelProto* model) {
  const int64_t source = DefaultOnnxOpset(*model);
  if (source >= kMinOnnxOpset && source <= kMaxOnnxOpset) return source;
  KINGLET_RETURN_IF_ERROR(CheckOpsetReachable(source));
  const int64_t target = source < kMinOnnxOpset ? kMinOnnxOpset : kMaxOnnxOpset;
  const std::string failed = "opset " + std::to_string(source) + " model could not be converted to opset " +
                             std::to_string(target) + ": ";

  // The converter reads the start opset from opset_import and has no "implicit opset 1".
  bool has_default_import = false;
  for (const auto& import : model->opset_import()) {
    has_default_import = has_default_import || IsDefaultDomain(import.domain());
  }
  if (!has_default_import) {
    auto* import = model->add_opset_import();
    import->set_domain("");
    import->set_version(source);
  }

  onnx::ModelProto converted;
  try {
    // Adapters read value shapes: the opset-6 -> 7 broadcast adapter, for one, compares ranks to
    // decide whether `axis` needs an Unsqueeze, and sees rank 0 for a value without a shape.
    onnx::shape_inference::InferShapes(*model);
    if (source < 7) FixLegacyPReluSlopes(model);
    converted = onnx::version_conversion::ConvertVersion(*model, static_cast<int>(target));
  } catch (const std::exception& e) {
    return Status::Unsupported(failed + ConverterReason(e.what()));
  }
  // IR 1-2 files have no opset_import, and the checker rejects one there; the converted model
  // now needs it, and IR 3 is the first version that has it.
  if (converted.ir_version() < 3) converted.set_ir_version(3);
  // The input passed the checker, so a checker error now is the converter's doing.
  try {
    onnx::checker::check_model(converted);
  } catch (const std::exception& e) {
    return Status::Unsupported(failed + "the converted model fails the ONNX checker: " + e.what());
  }
  const int64_t reached = DefaultOnnxOpset(converted);
  if (reached != target) {
    return Status::Unsupported(failed + "the converter returned an opset " + std::to_string(reached) +
                               " model");
  }
  *model = std::move(converted);
  return target;
}

}  // namespace kinglet::compression
