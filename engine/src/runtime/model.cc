#include "kinglet/model.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "format/kgl_format.h"
#include "format/kgl_reader.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "runtime/status_format.h"

namespace kinglet {
namespace {

// Owns the artifact bytes that dense constants view in place.
struct AlignedBytes {
  explicit AlignedBytes(size_t n)
      : data(static_cast<uint8_t*>(std::aligned_alloc(format::kPayloadAlignment,
                                                       (n + format::kPayloadAlignment) / format::kPayloadAlignment *
                                                           format::kPayloadAlignment))) {}
  ~AlignedBytes() { std::free(data); }
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;
  uint8_t* data;
};

// Checks an engine-independent graph against what this engine can run.
Status CheckRunnable(const ir::Graph& graph) {
  for (const ir::Node& node : graph.nodes) {
    if (ops::FindOp(node.op_type) == nullptr) {
      return UnsupportedError("node '{}' uses op {} which this engine does not implement; upgrade Kinglet",
                              node.name, node.op_type);
    }
  }
  return Status::Ok();
}

}  // namespace


Model::Model(std::unique_ptr<ir::Graph> graph) : graph_(std::move(graph)) {
  for (int32_t v : graph_->inputs) {
    const ir::Value& value = graph_->values[v];
    inputs_.push_back({value.name, value.dtype, value.shape});
  }
  for (int32_t v : graph_->outputs) {
    const ir::Value& value = graph_->values[v];
    outputs_.push_back({value.name, value.dtype, value.shape});
  }
}

Model::~Model() = default;

Result<std::shared_ptr<const Model>> Model::LoadBuffer(const void* data, size_t size) {
  // The graph's constants view this buffer; a custom graph deleter keeps it alive with them.
  auto bytes = std::make_shared<AlignedBytes>(size);
  if (bytes->data == nullptr)
    return FormatStatus(StatusCode::kIOError, "out of memory reading a {}-byte model", {size});
  if (size) std::memcpy(bytes->data, data, size);
  KINGLET_ASSIGN_OR_RETURN(std::unique_ptr<ir::Graph> graph, format::ReadKgl(bytes->data, size));
  KINGLET_RETURN_IF_ERROR(CheckRunnable(*graph));
  graph->metadata["kinglet.artifact_bytes"] = std::to_string(size);
  std::shared_ptr<Model> model(new Model(std::move(graph)));
  model->storage_ = bytes;
  return std::shared_ptr<const Model>(std::move(model));
}

Result<std::shared_ptr<const Model>> Model::LoadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return NotFoundError("cannot open model '{}': {}", path, std::strerror(errno));
  std::string bytes;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return FormatStatus(StatusCode::kIOError, "cannot read model '{}'", {path});
  auto model = LoadBuffer(bytes.data(), bytes.size());
  if (!model.ok()) return model.status().WithContext(path);
  return model;
}

Result<std::shared_ptr<const Model>> Model::FromGraph(ir::Graph graph) {
  const std::string problem = ir::ValidateGraph(graph);
  if (!problem.empty()) return InvalidArgumentError("invalid graph: {}", problem);
  KINGLET_RETURN_IF_ERROR(CheckRunnable(graph));
  return std::shared_ptr<const Model>(new Model(std::make_unique<ir::Graph>(std::move(graph))));
}

const std::map<std::string, std::string>& Model::metadata() const { return graph_->metadata; }

ModelStats Model::Stats() const {
  ModelStats stats;
  for (const ir::Node& node : graph_->nodes) ++stats.op_counts[node.op_type];
  for (const auto& [index, tensor] : graph_->constants) {
    stats.parameter_count += tensor.element_count();
    ++stats.constant_count;
    auto it = graph_->constant_storage.find(index);
    if (it == graph_->constant_storage.end()) {
      stats.bytes_by_encoding["dense"] += tensor.byte_size();
    } else {
      stats.bytes_by_encoding[it->second.name] += it->second.stored_bytes;
    }
  }
  return stats;
}

}  // namespace kinglet
