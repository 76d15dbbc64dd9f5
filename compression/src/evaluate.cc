#include "kinglet/compression/evaluate.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>

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
  const int64_t row_elems = ElementCount(row_shape);
  // Rows are independent: split them into one contiguous range per worker, each with its own
  // session (sessions are not shared between threads; the model is).
  const int64_t hardware = std::max<int64_t>(1, std::thread::hardware_concurrency());
  const int64_t workers = std::min<int64_t>(threads <= 0 ? hardware : threads, (n + batch - 1) / batch);
  std::vector<std::vector<int64_t>> predictions(workers);
  std::vector<std::vector<float>> scores(workers);
  std::vector<Status> status(workers, Status::Ok());
  std::vector<int64_t> classes(workers, 0);
  auto work = [&](int64_t w) {
    const int64_t begin = n * w / workers, end = n * (w + 1) / workers;
    auto session = Session::Create(model, SessionOptions{1});
    if (!session.ok()) {
      status[w] = session.status();
      return;
    }
    std::vector<NamedTensor> outputs;
    for (int64_t start = begin; start < end; start += batch) {
      const int64_t rows = std::min(batch, end - start);
      Shape shape = row_shape;
      shape.insert(shape.begin(), rows);
      std::vector<NamedTensor> in = {
          {spec.name, Tensor::View(DataType::kFloat32, shape,
                                   const_cast<float*>(inputs.data<float>()) + start * row_elems)}};
      status[w] = (*session)->Run(in, &outputs);
      if (!status[w].ok()) return;
      const Tensor& out = outputs.at(0).tensor;
      if (out.dtype() != DataType::kFloat32 || out.shape().empty() || out.shape()[0] != rows) {
        status[w] = Status::InvalidArgument("the model's first output " + ShapeToString(out.shape()) +
                                            " is not [batch, classes] float32 scores");
        return;
      }
      classes[w] = out.element_count() / rows;
      scores[w].insert(scores[w].end(), out.data<float>(), out.data<float>() + rows * classes[w]);
      for (int64_t r = 0; r < rows; ++r) {
        const float* row = out.data<float>() + r * classes[w];
        predictions[w].push_back(std::max_element(row, row + classes[w]) - row);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int64_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (std::thread& t : pool) t.join();
  EvalResult result;
  result.examples = n;
  result.classes = classes[0];
  result.predictions.reserve(n);
  for (int64_t w = 0; w < workers; ++w) {
    KINGLET_RETURN_IF_ERROR(status[w]);
    result.predictions.insert(result.predictions.end(), predictions[w].begin(), predictions[w].end());
    result.scores.insert(result.scores.end(), scores[w].begin(), scores[w].end());
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
