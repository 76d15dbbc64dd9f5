// Model: an immutable, loaded .kgl artifact. Thread-safe: one Model may back many Sessions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kinglet/status.h"
#include "kinglet/tensor.h"

namespace kinglet {

namespace ir {
struct Graph;
}

// A model input or output as declared in the artifact; dims < 0 are free (e.g. batch).
struct TensorSpec {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;
};

struct ModelStats {
  std::map<std::string, int> op_counts;             // op type -> number of nodes
  int64_t parameter_count = 0;                      // elements in constant tensors
  // Encoding name ("dense", "fp16", "int8", "kmeans4", "sparse+kmeans5+huffman", ...) -> bytes
  // those constants occupy in the artifact (STORED, i.e. compressed, size — not the decoded
  // float32 size). A model built in memory (FromGraph) counts every constant as "dense".
  std::map<std::string, size_t> bytes_by_encoding;
  size_t constant_count = 0;
};

class Model {
 public:
  // Reads and validates a .kgl file. Every error is a Status (never a crash), e.g.
  // Corruption for a truncated or bit-flipped file, Unsupported for a newer format version.
  static Result<std::shared_ptr<const Model>> LoadFile(const std::string& path);
  // Same, from memory. The bytes are copied; the caller may free them afterwards.
  static Result<std::shared_ptr<const Model>> LoadBuffer(const void* data, size_t size);
  // Wraps an in-memory graph (used by the converter and tests); validates it.
  static Result<std::shared_ptr<const Model>> FromGraph(ir::Graph graph);

  ~Model();

  const std::vector<TensorSpec>& inputs() const { return inputs_; }
  const std::vector<TensorSpec>& outputs() const { return outputs_; }
  ModelStats Stats() const;
  const std::map<std::string, std::string>& metadata() const;

  // The graph IR (internal header ir/graph.h); for tools inside Kinglet.
  const ir::Graph& graph() const { return *graph_; }

 private:
  explicit Model(std::unique_ptr<ir::Graph> graph);

  std::shared_ptr<void> storage_;  // artifact bytes the graph's constants view; declared
                                   // before graph_ so it is destroyed after it
  std::unique_ptr<ir::Graph> graph_;
  std::vector<TensorSpec> inputs_;
  std::vector<TensorSpec> outputs_;
};

}  // namespace kinglet
