#include "calibration.h"

#include <algorithm>
#include <cstring>

#include "kinglet/model.h"
#include "kinglet/session.h"
#include "ops/sliding_window.h"

namespace kinglet::compression {
namespace {

constexpr int64_t kCaptureBatch = 32;

}  // namespace

Result<std::vector<Tensor>> CaptureValues(const ir::Graph& graph, const Tensor& inputs,
                                          const std::vector<int32_t>& values) {
  if (graph.inputs.size() != 1) return Status::InvalidArgument("calibration needs a model with one input");
  if (inputs.dtype() != DataType::kFloat32 || inputs.shape().empty() || inputs.shape()[0] == 0) {
    return Status::InvalidArgument("calibration data must be non-empty float32 [N, ...]");
  }
  ir::Graph probe = graph;
  probe.outputs = values;
  KINGLET_ASSIGN_OR_RETURN(auto model, Model::FromGraph(std::move(probe)));
  KINGLET_ASSIGN_OR_RETURN(auto session, Session::Create(model));
  const int64_t n = inputs.shape()[0];
  const int64_t row_elems = inputs.element_count() / n;
  const bool free_batch = graph.values[graph.inputs[0]].shape.empty() || graph.values[graph.inputs[0]].shape[0] < 0;
  const int64_t batch = free_batch ? kCaptureBatch : 1;
  std::vector<std::vector<Tensor>> parts(values.size());
  std::vector<NamedTensor> outputs;
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t rows = std::min(batch, n - start);
    Shape shape = inputs.shape();
    shape[0] = rows;
    Tensor view = Tensor::View(DataType::kFloat32, shape, const_cast<float*>(inputs.data<float>()) + start * row_elems);
    outputs.clear();  // fresh tensors each batch: we keep them
    KINGLET_RETURN_IF_ERROR(session->Run({{graph.values[graph.inputs[0]].name, view}}, &outputs));
    for (size_t i = 0; i < values.size(); ++i) parts[i].push_back(outputs[i].tensor);
  }
  std::vector<Tensor> result;
  for (auto& batches : parts) {
    Shape shape = batches[0].shape();
    if (shape.empty()) return Status::InvalidArgument("cannot calibrate on a scalar activation");
    int64_t total = 0;
    for (const Tensor& t : batches) total += t.shape()[0];
    shape[0] = total;
    Tensor all(batches[0].dtype(), shape);
    size_t offset = 0;
    for (const Tensor& t : batches) {
      std::memcpy(static_cast<uint8_t*>(all.raw_data()) + offset, t.raw_data(), t.byte_size());
      offset += t.byte_size();
    }
    result.push_back(all);
  }
  return result;
}

Result<std::vector<float>> LayerInputRows(const ir::Graph& graph, const LayerView& layer, const Tensor& activation,
                                          int64_t group_index, int64_t max_rows, std::mt19937* rng) {
  const float* x = activation.data<float>();
  const Shape& s = activation.shape();
  std::vector<float> rows;
  if (layer.op_type != "Conv") {
    if (s.empty() || s.back() != layer.cols) {
      return Status::InvalidArgument("activation " + ShapeToString(s) + " does not feed a layer with " +
                                     std::to_string(layer.cols) + " inputs");
    }
    const int64_t n = activation.element_count() / layer.cols;
    std::vector<int64_t> pick(n);
    for (int64_t i = 0; i < n; ++i) pick[i] = i;
    if (n > max_rows) {
      std::shuffle(pick.begin(), pick.end(), *rng);
      pick.resize(max_rows);
    }
    for (int64_t r : pick) rows.insert(rows.end(), x + r * layer.cols, x + (r + 1) * layer.cols);
    return rows;
  }

  // Conv: rebuild the geometry exactly as the engine's Conv does.
  const ir::Node& node = graph.nodes[layer.node];
  const Shape& w = graph.constants.at(layer.weight).shape();
  if (s.size() != w.size()) return Status::InvalidArgument("conv activation rank mismatch");
  const std::vector<int64_t> kernel(w.begin() + 2, w.end());
  KINGLET_ASSIGN_OR_RETURN(ops::WindowAttrs window, ops::ReadWindowAttrs(node.attrs, kernel.size(), &kernel));
  const std::vector<int64_t> in_spatial(s.begin() + 2, s.end());
  KINGLET_ASSIGN_OR_RETURN(std::vector<int64_t> out_spatial, ops::ResolveWindowOutput(in_spatial, false, &window));
  const int64_t rank = static_cast<int64_t>(kernel.size());
  const int64_t channels_per_group = w[1];
  const int64_t out_positions = ElementCount(out_spatial);
  const int64_t kernel_size = ElementCount(kernel);
  const int64_t total = s[0] * out_positions;
  std::vector<int64_t> pick;
  if (total <= max_rows) {
    for (int64_t i = 0; i < total; ++i) pick.push_back(i);
  } else {
    std::uniform_int_distribution<int64_t> any(0, total - 1);
    for (int64_t i = 0; i < max_rows; ++i) pick.push_back(any(*rng));
  }
  const int64_t in_positions = ElementCount(in_spatial);
  rows.reserve(pick.size() * layer.cols);
  std::vector<int64_t> o(rank), k(rank);
  for (int64_t p : pick) {
    const int64_t n = p / out_positions;
    int64_t rest = p % out_positions;
    for (int64_t d = rank - 1; d >= 0; --d) {
      o[d] = rest % out_spatial[d];
      rest /= out_spatial[d];
    }
    for (int64_t c = 0; c < channels_per_group; ++c) {
      const int64_t channel = group_index * channels_per_group + c;
      const float* plane = x + (n * s[1] + channel) * in_positions;
      for (int64_t kk = 0; kk < kernel_size; ++kk) {
        int64_t rem = kk, offset = 0;
        bool inside = true;
        for (int64_t d = rank - 1; d >= 0; --d) {
          k[d] = rem % kernel[d];
          rem /= kernel[d];
        }
        for (int64_t d = 0; d < rank; ++d) {
          const int64_t i = o[d] * window.strides[d] - window.pads_begin[d] + k[d] * window.dilations[d];
          inside = inside && i >= 0 && i < in_spatial[d];
          offset = offset * in_spatial[d] + i;
        }
        rows.push_back(inside ? plane[offset] : 0.0f);
      }
    }
  }
  return rows;
}

}  // namespace kinglet::compression
