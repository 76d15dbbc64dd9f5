#include "kinglet/compression/evaluate.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "kinglet/session.h"

namespace kinglet::compression {
namespace {

constexpr int64_t kBatch = 64;

Result<EvalResult> RunRows(const std::shared_ptr<const Model>& model, const Tensor& inputs, int threads) {
  if (model->inputs().size() != 1) {
    return Status::InvalidArgument("evaluation needs a model with exactly one input; this one has " +
                                   std::to_string(model->inputs().size()));
  }
  const TensorSpec& spec = model->inputs()[0];
  if (inputs.dtype() != DataType::kFloat32) {
    return Status::InvalidArgument("evaluation inputs must be float32, got " + std::string(DataTypeName(inputs.dtype())));
  }
  if (inputs.shape().empty() || inputs.shape()[0] == 0) {
    return Status::InvalidArgument("the evaluation set is empty");
  }
  const int64_t n = inputs.shape()[0];
  Shape row_shape(inputs.shape().begin() + 1, inputs.shape().end());
  if (spec.shape.size() != inputs.shape().size()) {
    return Status::InvalidArgument("evaluation inputs have shape " + ShapeToString(inputs.shape()) +
                                   " but the model's input '" + spec.name + "' has shape " +
                                   ShapeToString(spec.shape) + " (the first dim is the example index)");
  }
  for (size_t d = 1; d < spec.shape.size(); ++d) {
    if (spec.shape[d] >= 0 && spec.shape[d] != inputs.shape()[d]) {
      return Status::InvalidArgument("evaluation inputs have shape " + ShapeToString(inputs.shape()) +
                                     " but the model expects " + ShapeToString(spec.shape));
    }
  }
  const int64_t batch = spec.shape[0] < 0 ? kBatch : spec.shape[0];
  if (batch != 1 && spec.shape[0] >= 0) {
    return Status::InvalidArgument("the model's batch dimension is fixed at " + std::to_string(batch) +
                                   "; evaluation needs batch 1 or a free batch");
  }
  KINGLET_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(model, SessionOptions{threads}));
  const int64_t row_elems = ElementCount(row_shape);
  EvalResult result;
  result.examples = n;
  result.predictions.reserve(n);
  std::vector<NamedTensor> outputs;
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t rows = std::min(batch, n - start);
    Shape shape = row_shape;
    shape.insert(shape.begin(), rows);
    std::vector<NamedTensor> in = {
        {spec.name, Tensor::View(DataType::kFloat32, shape,
                                 const_cast<float*>(inputs.data<float>()) + start * row_elems)}};
    KINGLET_RETURN_IF_ERROR(session->Run(in, &outputs));
    const Tensor& out = outputs.at(0).tensor;
    if (out.dtype() != DataType::kFloat32 || out.shape().empty() || out.shape()[0] != rows) {
      return Status::InvalidArgument("the model's first output " + ShapeToString(out.shape()) +
                                     " is not [batch, classes] float32 scores");
    }
    const int64_t classes = out.element_count() / rows;
    result.classes = classes;
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = out.data<float>() + r * classes;
      result.predictions.push_back(std::max_element(row, row + classes) - row);
    }
  }
  return result;
}

}  // namespace

Result<EvalResult> Predict(const std::shared_ptr<const Model>& model, const Tensor& inputs, int threads) {
  return RunRows(model, inputs, threads);
}

Result<EvalResult> EvaluateTop1(const std::shared_ptr<const Model>& model, const Tensor& inputs,
                                const Tensor& labels, int threads) {
  if (labels.dtype() != DataType::kInt64 && labels.dtype() != DataType::kInt32) {
    return Status::InvalidArgument("labels must be int64 or int32, got " + std::string(DataTypeName(labels.dtype())));
  }
  if (labels.shape().size() != 1 || inputs.shape().empty() || labels.shape()[0] != inputs.shape()[0]) {
    return Status::InvalidArgument("labels have shape " + ShapeToString(labels.shape()) + " but there are " +
                                   (inputs.shape().empty() ? std::string("no") : std::to_string(inputs.shape()[0])) +
                                   " examples; labels must be [N]");
  }
  KINGLET_ASSIGN_OR_RETURN(EvalResult result, RunRows(model, inputs, threads));
  for (int64_t i = 0; i < result.examples; ++i) {
    const int64_t label = labels.dtype() == DataType::kInt64 ? labels.data<int64_t>()[i] : labels.data<int32_t>()[i];
    if (label < 0 || label >= result.classes) {
      return Status::InvalidArgument("label " + std::to_string(i) + " is " + std::to_string(label) +
                                     ", outside the model's " + std::to_string(result.classes) + " classes");
    }
    if (result.predictions[i] == label) ++result.correct;
  }
  return result;
}

}  // namespace kinglet::compression
