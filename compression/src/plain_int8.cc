#include <cstdio>
#include <map>

#include "encode/compressed_tensor.h"
#include "kinglet/compression/compress.h"
#include "kinglet/compression/evaluate.h"
#include "kinglet/compression/kgl_writer.h"
#include "kinglet/compression/onnx_importer.h"
#include "kinglet/model.h"
#include "layer_view.h"
#include "passes/pipeline.h"
#include "quantize/int8.h"

namespace kinglet::compression {

Result<CompressResult> QuantizeInt8Only(const std::string& onnx_path, const Tensor& eval_inputs,
                                        const Tensor& eval_labels) {
  KINGLET_ASSIGN_OR_RETURN(ir::Graph graph, ImportOnnxFile(onnx_path));
  KINGLET_RETURN_IF_ERROR(passes::RunTransformPasses(&graph));
  CompressResult result;
  CompressReport& report = result.report;
  report.has_labels = eval_labels.dtype() != DataType::kUndefined;
  if (std::FILE* f = std::fopen(onnx_path.c_str(), "rb")) {
    std::fseek(f, 0, SEEK_END);
    report.onnx_bytes = static_cast<size_t>(std::ftell(f));
    std::fclose(f);
  }
  KINGLET_ASSIGN_OR_RETURN(auto dense_model, Model::FromGraph(graph));
  KINGLET_ASSIGN_OR_RETURN(std::string dense, SerializeKgl(graph));
  report.dense_kgl_bytes = dense.size();

  std::map<int32_t, EncodedConstant> encoded;
  for (const LayerView& layer : FindLayers(graph)) {
    quantize::Matrix w(layer.rows, layer.cols);
    w.values = WeightMatrix(graph, layer);
    KINGLET_ASSIGN_OR_RETURN(quantize::Int8PerChannel q, quantize::QuantizeInt8PerChannel(w, quantize::Int8Mode::kSymmetric));
    // Stored in the tensor's own element order; the channel (matrix row) is axis 1 when the
    // weight is stored transposed.
    CompressedTensor t;
    t.shape = graph.constants.at(layer.weight).shape();
    t.coding = ValueCoding::kInt8PerChannel;
    t.int8.axis = layer.transposed ? 1 : 0;
    t.int8.scales = q.scales;
    for (int32_t zp : q.zero_points) t.int8.zero_points.push_back(static_cast<int8_t>(zp));
    t.int8.q.resize(static_cast<size_t>(layer.rows * layer.cols));
    for (int64_t r = 0; r < layer.rows; ++r) {
      for (int64_t c = 0; c < layer.cols; ++c) {
        t.int8.q[layer.transposed ? c * layer.rows + r : r * layer.cols + c] = q.values[r * layer.cols + c];
      }
    }
    ChooseSmallestCodings(&t);
    graph.constants[layer.weight] = DecodeToDense(t);
    KINGLET_ASSIGN_OR_RETURN(encoded[layer.weight], EncodeConstant(t));
    LayerReport l;
    l.name = graph.nodes[layer.node].name;
    l.op_type = layer.op_type;
    l.parameters = layer.rows * layer.cols;
    l.bits = 8;
    l.encoding = encoded[layer.weight].name;
    l.stored_bytes = encoded[layer.weight].payload.size();
    report.layers.push_back(l);
  }
  KINGLET_ASSIGN_OR_RETURN(result.kgl, SerializeKgl(graph, encoded));
  report.compressed_bytes = result.kgl.size();
  KINGLET_ASSIGN_OR_RETURN(auto model, Model::LoadBuffer(result.kgl.data(), result.kgl.size()));
  if (report.has_labels) {
    KINGLET_ASSIGN_OR_RETURN(EvalResult before, EvaluateTop1(dense_model, eval_inputs, eval_labels));
    KINGLET_ASSIGN_OR_RETURN(EvalResult after, EvaluateTop1(model, eval_inputs, eval_labels));
    report.accuracy_before = before.accuracy();
    report.accuracy_after = after.accuracy();
  } else {
    KINGLET_ASSIGN_OR_RETURN(EvalResult before, Predict(dense_model, eval_inputs));
    KINGLET_ASSIGN_OR_RETURN(EvalResult after, Predict(model, eval_inputs));
    int64_t agree = 0;
    for (size_t i = 0; i < before.predictions.size(); ++i) agree += before.predictions[i] == after.predictions[i];
    report.accuracy_before = 1.0;
    report.accuracy_after = double(agree) / before.predictions.size();
  }
  report.drop_pp = (report.accuracy_before - report.accuracy_after) * 100;
  return result;
}

}  // namespace kinglet::compression
