#include "kinglet/compression/onnx_importer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kinglet/compression/kgl_writer.h"
#include "kinglet/model.h"
#include "kinglet/session.h"
#include "onnx/onnx_pb.h"
#include "onnx_attributes.h"
#include "onnx_tensor.h"

namespace kinglet::compression {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Builds small ModelProtos with the protobuf API, the way an exporter would.
class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset = 13) {
    model_.set_ir_version(8);
    model_.set_producer_name("kinglet-test");
    model_.set_producer_version("1.0");
    auto* import = model_.add_opset_import();
    import->set_domain("");
    import->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }

  // dims < 0 become a symbolic dim ("N").
  ModelBuilder& Input(const std::string& name, std::vector<int64_t> dims,
                      int elem = onnx::TensorProto::FLOAT) {
    SetType(model_.mutable_graph()->add_input(), name, dims, elem);
    return *this;
  }
  // The checker wants a shape on graph outputs; -1 dims are symbolic.
  ModelBuilder& Output(const std::string& name, std::vector<int64_t> dims,
                       int elem = onnx::TensorProto::FLOAT) {
    SetType(model_.mutable_graph()->add_output(), name, dims, elem);
    return *this;
  }
  onnx::TensorProto* Initializer(const std::string& name, std::vector<int64_t> dims,
                                 const std::vector<float>& values) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
    return t;
  }
  onnx::NodeProto* Node(const std::string& op, std::vector<std::string> inputs,
                        std::vector<std::string> outputs, const std::string& name = "") {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
  }
  static void IntAttr(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void FloatAttr(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }

  onnx::ModelProto& proto() { return model_; }
  std::string Bytes() const { return model_.SerializeAsString(); }

 private:
  static void SetType(onnx::ValueInfoProto* vi, const std::string& name, const std::vector<int64_t>& dims,
                      int elem) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    auto* shape = tt->mutable_shape();
    for (int64_t d : dims) {
      auto* dim = shape->add_dim();
      if (d < 0) {
        dim->set_dim_param("N");
      } else {
        dim->set_dim_value(d);
      }
    }
  }

  onnx::ModelProto model_;
};

// X[N,4] -> Gemm(W[3,4], B[3], transB=1, alpha=0.5) -> Relu -> Y
ModelBuilder GemmRelu() {
  ModelBuilder b;
  b.Input("X", {-1, 4});
  b.Initializer("W", {3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  // B stored as raw_data, the way PyTorch exports weights.
  auto* bias = b.proto().mutable_graph()->add_initializer();
  bias->set_name("B");
  bias->set_data_type(onnx::TensorProto::FLOAT);
  bias->add_dims(3);
  const float bias_values[3] = {0.5f, -1.0f, 2.0f};
  bias->set_raw_data(std::string(reinterpret_cast<const char*>(bias_values), sizeof(bias_values)));
  auto* gemm = b.Node("Gemm", {"X", "W", "B"}, {"H"}, "fc1");
  ModelBuilder::IntAttr(gemm, "transB", 1);
  ModelBuilder::FloatAttr(gemm, "alpha", 0.5f);
  b.Node("Relu", {"H"}, {"Y"});
  b.Output("Y", {-1, 3});
  return b;
}

TEST(OnnxImporterTest, ImportsGemmReluWithValuesConstantsAndAttributes) {
  Result<ir::Graph> result = ImportOnnxBytes(GemmRelu().Bytes(), "gemm_relu.onnx");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const ir::Graph& g = *result;

  EXPECT_EQ(g.opset, 13);
  EXPECT_EQ(g.metadata.at("producer"), "kinglet-test 1.0");
  EXPECT_EQ(g.metadata.at("source"), "gemm_relu.onnx");
  auto from_path = ImportOnnxBytes(GemmRelu().Bytes(), "/srv/uploads/u1/gemm_relu.onnx");
  ASSERT_TRUE(from_path.ok()) << from_path.status().ToString();
  EXPECT_EQ(from_path->metadata.at("source"), "gemm_relu.onnx") << "artifacts must not carry server paths";

  ASSERT_EQ(g.inputs.size(), 1u);
  const ir::Value& x = g.values[g.inputs[0]];
  EXPECT_EQ(x.name, "X");
  EXPECT_EQ(x.dtype, DataType::kFloat32);
  EXPECT_TRUE(x.shape_known);
  EXPECT_EQ(x.shape, (Shape{-1, 4}));

  const int32_t w = g.FindValue("W");
  const int32_t bias = g.FindValue("B");
  ASSERT_NE(w, ir::kNoValue);
  ASSERT_NE(bias, ir::kNoValue);
  ASSERT_EQ(g.constants.size(), 2u);
  const Tensor& wt = g.constants.at(w);
  EXPECT_EQ(wt.dtype(), DataType::kFloat32);
  EXPECT_EQ(wt.shape(), (Shape{3, 4}));
  EXPECT_FLOAT_EQ(wt.data<float>()[0], 1.0f);
  EXPECT_FLOAT_EQ(wt.data<float>()[11], 12.0f);
  const Tensor& bt = g.constants.at(bias);
  EXPECT_EQ(bt.shape(), (Shape{3}));
  EXPECT_FLOAT_EQ(bt.data<float>()[1], -1.0f);
  EXPECT_EQ(g.constant_encoding.at(w), ir::Encoding::kDenseRaw);

  ASSERT_EQ(g.nodes.size(), 2u);
  const ir::Node& gemm = g.nodes[0];
  EXPECT_EQ(gemm.name, "fc1");
  EXPECT_EQ(gemm.op_type, "Gemm");
  EXPECT_EQ(gemm.inputs, (std::vector<int32_t>{g.inputs[0], w, bias}));
  EXPECT_EQ(gemm.attrs.GetInt("transB", 0), 1);
  EXPECT_FLOAT_EQ(gemm.attrs.GetFloat("alpha", 1.0f), 0.5f);
  EXPECT_FALSE(gemm.attrs.Has("beta"));

  const ir::Node& relu = g.nodes[1];
  EXPECT_EQ(relu.name, "Relu_1");  // unnamed ONNX node: "<op_type>_<index>"
  EXPECT_EQ(relu.inputs, gemm.outputs);

  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0], relu.outputs[0]);
  const ir::Value& y = g.values[g.outputs[0]];
  EXPECT_EQ(y.name, "Y");
  EXPECT_EQ(y.dtype, DataType::kFloat32);
  // Shape inference carried the symbolic batch dim through Gemm and Relu.
  EXPECT_TRUE(y.shape_known);
  EXPECT_EQ(y.shape, (Shape{-1, 3}));
  const ir::Value& h = g.values[gemm.outputs[0]];
  EXPECT_EQ(h.shape, (Shape{-1, 3}));
  EXPECT_EQ(ir::ValidateGraph(g), "");
}

TEST(OnnxImporterTest, InitializersListedAsInputsAreConstantsNotInputs) {
  ModelBuilder b = GemmRelu();
  // IR < 4 style: every initializer is also a graph input.
  b.Input("W", {3, 4});
  b.Input("B", {3});
  b.proto().set_ir_version(3);
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "ir3");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->inputs.size(), 1u);
  EXPECT_EQ(result->values[result->inputs[0]].name, "X");
  EXPECT_TRUE(result->constants.count(result->FindValue("W")));
}

TEST(OnnxImporterTest, ConstantNodesBecomeConstantsAndConstantOutputsGetAnIdentity) {
  ModelBuilder b;
  b.Input("X", {2});
  auto* c = b.Node("Constant", {}, {"C"}, "c");
  auto* a = c->add_attribute();
  a->set_name("value_floats");
  a->set_type(onnx::AttributeProto::FLOATS);
  a->add_floats(1.5f);
  a->add_floats(2.5f);
  b.Node("Add", {"X", "C"}, {"Y"}, "add");
  b.Output("Y", {2});
  b.Output("C", {2});  // a constant that is also a graph output
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "const");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const ir::Graph& g = *result;

  ASSERT_EQ(g.constants.size(), 1u);
  const auto& [cindex, ctensor] = *g.constants.begin();
  EXPECT_EQ(ctensor.shape(), (Shape{2}));
  EXPECT_FLOAT_EQ(ctensor.data<float>()[1], 2.5f);

  // Constant is not a node; Add plus the Identity feeding output "C".
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op_type, "Add");
  EXPECT_EQ(g.nodes[1].op_type, "Identity");
  EXPECT_EQ(g.nodes[1].inputs, (std::vector<int32_t>{cindex}));
  ASSERT_EQ(g.outputs.size(), 2u);
  EXPECT_EQ(g.values[g.outputs[1]].name, "C");  // the output keeps its ONNX name
  EXPECT_EQ(g.outputs[1], g.nodes[1].outputs[0]);
  EXPECT_EQ(ir::ValidateGraph(g), "");
}

TEST(OnnxImporterTest, GraphInputThatIsAlsoAnOutputGetsAnIdentity) {
  ModelBuilder b;
  b.Input("X", {2});
  b.Node("Relu", {"X"}, {"Y"});
  b.Output("Y", {2});
  b.Output("X", {2});
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "passthrough");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const ir::Graph& g = *result;
  ASSERT_EQ(g.outputs.size(), 2u);
  EXPECT_EQ(g.nodes.back().op_type, "Identity");
  EXPECT_EQ(g.nodes.back().inputs, (std::vector<int32_t>{g.inputs[0]}));
  EXPECT_EQ(g.outputs[1], g.nodes.back().outputs[0]);
  EXPECT_EQ(g.values[g.inputs[0]].name, "X");  // callers still feed it as "X"
}

TEST(OnnxImporterTest, EmptyInputNameIsNoValue) {
  ModelBuilder b;
  b.Input("X", {4});
  b.Initializer("hi", {}, {6.0f});
  b.Node("Clip", {"X", "", "hi"}, {"Y"}, "clip");  // min omitted
  b.Output("Y", {4});
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "clip");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->nodes.size(), 1u);
  const ir::Node& clip = result->nodes[0];
  ASSERT_EQ(clip.inputs.size(), 3u);
  EXPECT_EQ(clip.inputs[1], ir::kNoValue);
  EXPECT_EQ(clip.inputs[2], result->FindValue("hi"));
}

TEST(OnnxImporterTest, UnsupportedOpNamesNodeOpAndOpset) {
  ModelBuilder b;
  b.Input("X", {4});
  b.Node("Relu", {"X"}, {"H"});
  b.Node("Erf", {"H"}, {"Y"}, "erf1");
  b.Output("Y", {4});
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "erf");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(result.status().message(), HasSubstr("node 'erf1' (Erf, opset 13)"));
  EXPECT_THAT(result.status().message(), HasSubstr("op Erf is not supported"));
  EXPECT_THAT(result.status().message(), HasSubstr("supported ops: Add,"));
}

TEST(OnnxImporterTest, OpsetsOutsideTheSupportedRangeAreUnsupported) {
  // 18 is newer than Debian's libonnx 1.12 knows, so it cannot be converted down; 0 is no opset.
  for (int64_t opset : {0, 18}) {
    ModelBuilder b(opset);
    b.Input("X", {4});
    b.Node("Relu", {"X"}, {"Y"});
    b.Output("Y", {4});
    Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "opset");
    ASSERT_FALSE(result.ok()) << opset;
    EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
    EXPECT_THAT(result.status().message(), HasSubstr("opset " + std::to_string(opset) + " is not supported"));
    EXPECT_THAT(result.status().message(), HasSubstr("7..17"));
    EXPECT_THAT(result.status().message(), HasSubstr("upgraded automatically"));
  }
}

// Runs `graph` through .kgl and a Session on one float input, the way the CLI and daemon do.
Result<Tensor> RunGraph(const ir::Graph& graph, const std::string& input, Tensor value) {
  KINGLET_ASSIGN_OR_RETURN(std::string kgl, SerializeKgl(graph));
  KINGLET_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::LoadBuffer(kgl.data(), kgl.size()));
  KINGLET_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(model));
  std::vector<NamedTensor> outputs;
  KINGLET_RETURN_IF_ERROR(session->Run({{input, std::move(value)}}, &outputs));
  if (outputs.size() != 1) return Status::Internal("expected one output");
  return std::move(outputs[0].tensor);
}

TEST(OnnxImporterTest, Opset6BroadcastWithAxisIsUpgradedToOpset7) {
  // Opset-6 Add: B[2] lines up with axis 0 of A[2,3] (broadcast=1, axis=0), which numpy-style
  // broadcasting of opset 7 would line up with axis 1; the converter inserts an Unsqueeze.
  ModelBuilder b(6);
  b.proto().set_ir_version(3);
  b.Input("A", {2, 3});
  b.Input("B", {2});  // IR 3: initializers are graph inputs too
  b.Initializer("B", {2}, {10.0f, 20.0f});
  auto* add = b.Node("Add", {"A", "B"}, {"Y"}, "add");
  ModelBuilder::IntAttr(add, "broadcast", 1);
  ModelBuilder::IntAttr(add, "axis", 0);
  b.Output("Y", {2, 3});
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "opset6_add");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const ir::Graph& g = *result;
  EXPECT_EQ(g.opset, 7);
  EXPECT_EQ(g.metadata.at("onnx_source_opset"), "6");
  EXPECT_EQ(g.metadata.at("producer"), "kinglet-test 1.0");
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op_type, "Unsqueeze");
  EXPECT_EQ(g.nodes[0].attrs.GetInts("axes", {}), (std::vector<int64_t>{1}));
  const ir::Node& converted_add = g.nodes[1];
  EXPECT_EQ(converted_add.name, "add");
  EXPECT_EQ(converted_add.op_type, "Add");
  EXPECT_FALSE(converted_add.attrs.Has("broadcast"));
  EXPECT_FALSE(converted_add.attrs.Has("axis"));
  EXPECT_EQ(g.values[g.outputs[0]].shape, (Shape{2, 3}));
  EXPECT_EQ(ir::ValidateGraph(g), "");

  Result<Tensor> y = RunGraph(g, "A", Tensor::FromFloats({2, 3}, {1, 2, 3, 4, 5, 6}));
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ASSERT_EQ(y->shape(), (Shape{2, 3}));
  const std::vector<float> expected = {11, 12, 13, 24, 25, 26};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y->data<float>()[i], expected[i]) << i;
}

// X[1,2,1,2] -> BatchNormalization (opset 5: consumed_inputs, is_test) -> Y
ModelBuilder Opset5BatchNorm(int64_t is_test) {
  ModelBuilder b(5);
  b.proto().set_ir_version(3);
  b.Input("X", {1, 2, 1, 2});
  for (const char* name : {"scale", "bias", "mean", "var"}) b.Input(name, {2});  // IR 3
  b.Initializer("scale", {2}, {1.0f, 2.0f});
  b.Initializer("bias", {2}, {0.5f, -0.5f});
  b.Initializer("mean", {2}, {1.0f, 0.0f});
  b.Initializer("var", {2}, {4.0f, 1.0f});
  auto* bn = b.Node("BatchNormalization", {"X", "scale", "bias", "mean", "var"}, {"Y"}, "bn");
  ModelBuilder::IntAttr(bn, "is_test", is_test);
  ModelBuilder::FloatAttr(bn, "epsilon", 0.0f);
  auto* consumed = bn->add_attribute();
  consumed->set_name("consumed_inputs");
  consumed->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : {0, 0, 0, 1, 1}) consumed->add_ints(v);
  b.Output("Y", {1, 2, 1, 2});
  return b;
}

TEST(OnnxImporterTest, Opset5BatchNormalizationIsUpgradedToOpset7) {
  Result<ir::Graph> result = ImportOnnxBytes(Opset5BatchNorm(/*is_test=*/1).Bytes(), "opset5_bn");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const ir::Graph& g = *result;
  EXPECT_EQ(g.opset, 7);
  EXPECT_EQ(g.metadata.at("onnx_source_opset"), "5");
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "bn");
  EXPECT_FALSE(g.nodes[0].attrs.Has("consumed_inputs"));
  EXPECT_FALSE(g.nodes[0].attrs.Has("is_test"));
  ASSERT_EQ(g.inputs.size(), 1u);  // the statistics stay constants
  EXPECT_EQ(g.constants.size(), 4u);

  Result<Tensor> y = RunGraph(g, "X", Tensor::FromFloats({1, 2, 1, 2}, {3, 5, 1, -1}));
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  // channel 0: (x - 1) / 2 * 1 + 0.5; channel 1: (x - 0) / 1 * 2 - 0.5
  const std::vector<float> expected = {1.5f, 2.5f, 1.5f, -2.5f};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y->data<float>()[i], expected[i]) << i;
}

TEST(OnnxImporterTest, ErrorsInConvertedModelsNameBothOpsets) {
  ModelBuilder b(6);
  b.proto().set_ir_version(3);
  b.Input("X", {4});
  b.Node("RandomUniformLike", {"X"}, {"Y"}, "rand");  // random ops are not run on device
  b.Output("Y", {4});
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "random6");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(result.status().message(),
              HasSubstr("node 'rand' (RandomUniformLike, opset 7, converted from opset 6)"));
}

TEST(OnnxImporterTest, ModelWithoutOpsetImportIsOpset1AndUpgraded) {
  ModelBuilder b;
  b.proto().clear_opset_import();
  b.proto().set_ir_version(2);
  b.Input("X", {4});
  b.Node("Relu", {"X"}, {"Y"});
  b.Output("Y", {4});
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "ir2");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->opset, 7);
  EXPECT_EQ(result->metadata.at("onnx_source_opset"), "1");
}

TEST(OnnxImporterTest, ConversionFailureIsUnsupportedWithTheConvertersReason) {
  // Training-mode batch norm has no opset-7 equivalent: the 6 -> 7 adapter refuses is_test=0.
  Result<ir::Graph> result = ImportOnnxBytes(Opset5BatchNorm(/*is_test=*/0).Bytes(), "training_bn");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(result.status().message(), HasSubstr("opset 5 model could not be converted to opset 7: "));
  EXPECT_THAT(result.status().message(), HasSubstr("is_test"));
  EXPECT_THAT(result.status().message(), Not(HasSubstr(".h:")));  // no libonnx source paths

  // Equal changed in opset 7 and libonnx has no adapter for it.
  ModelBuilder b(6);
  b.proto().set_ir_version(3);
  b.Input("A", {3}, onnx::TensorProto::INT32);
  b.Input("B", {3}, onnx::TensorProto::INT32);
  b.Node("Equal", {"A", "B"}, {"Y"}, "eq");
  b.Output("Y", {3}, onnx::TensorProto::BOOL);
  result = ImportOnnxBytes(b.Bytes(), "equal");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(result.status().message(), HasSubstr("opset 6 model could not be converted to opset 7: "));
  EXPECT_THAT(result.status().message(), HasSubstr("Equal"));
}

TEST(OnnxImporterTest, MalformedOldModelIsInvalidArgumentNotAConversionFailure) {
  ModelBuilder b(6);
  b.proto().set_ir_version(3);
  b.Input("X", {4});
  b.Node("Relu", {"X", "X", "X"}, {"Y"}, "relu");  // Relu takes one input
  b.Output("Y", {4});
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "bad6");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << result.status().ToString();
  EXPECT_THAT(result.status().message(), HasSubstr("checker"));
}

TEST(OnnxImporterTest, NonDefaultDomainIsUnsupported) {
  ModelBuilder b;
  auto* import = b.proto().add_opset_import();
  import->set_domain("com.example");
  import->set_version(1);
  b.Input("X", {4});
  b.Node("Fancy", {"X"}, {"Y"}, "fancy")->set_domain("com.example");
  b.Output("Y", {4});
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "domain");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(result.status().message(), HasSubstr("node 'fancy' (Fancy, com.example opset 1)"));
  EXPECT_THAT(result.status().message(), HasSubstr("com.example"));
}

TEST(OnnxImporterTest, CheckerErrorsAreInvalidArgument) {
  ModelBuilder b;
  b.Input("X", {4});
  b.Node("Relu", {"X", "X", "X"}, {"Y"}, "relu");  // Relu takes one input
  b.Output("Y", {4});
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "bad");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("checker"));
}

TEST(OnnxImporterTest, MalformedBytesAreErrorsNotCrashes) {
  for (const std::string& bytes :
       {std::string(), std::string("\xff\xff\xff\xff garbage", 13), std::string(1000, '\x0a')}) {
    Result<ir::Graph> result = ImportOnnxBytes(bytes, "junk");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << result.status().ToString();
    EXPECT_THAT(result.status().message(), HasSubstr("not a valid ONNX model"));
  }
}

TEST(OnnxImporterTest, TruncatedAndBitFlippedModelsNeverCrash) {
  const std::string good = GemmRelu().Bytes();
  for (size_t len = 0; len < good.size(); len += 7) {
    Result<ir::Graph> result = ImportOnnxBytes(good.substr(0, len), "truncated");
    if (result.ok()) {
      EXPECT_EQ(ir::ValidateGraph(*result), "");
    }
  }
  std::mt19937 rng(42);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes = good;
    for (int flips = 0; flips < 3; ++flips) {
      bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
    }
    Result<ir::Graph> result = ImportOnnxBytes(bytes, "flipped");
    // Either a clean error or a graph that validates (a flip in a weight is still a model).
    if (result.ok()) {
      EXPECT_EQ(ir::ValidateGraph(*result), "");
    }
  }
}

TEST(OnnxImporterTest, MissingFileIsNotFound) {
  Result<ir::Graph> result = ImportOnnxFile("/nonexistent/model.onnx");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
}

TEST(OnnxImporterTest, HugeDeclaredInitializerWithoutDataIsRejectedBeforeAllocating) {
  ModelBuilder b = GemmRelu();
  onnx::TensorProto* w = b.proto().mutable_graph()->mutable_initializer(0);
  w->clear_dims();
  w->add_dims(1LL << 40);
  w->add_dims(1LL << 20);
  Result<ir::Graph> result = ImportOnnxBytes(b.Bytes(), "huge");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().code(), StatusCode::kOk);
}

// --- DecodeTensorProto and ConvertAttribute, white-box ---

TEST(OnnxTensorTest, DecodesIntegerTypesFromInt32Data) {
  onnx::TensorProto t;
  t.set_name("q");
  t.set_data_type(onnx::TensorProto::INT8);
  t.add_dims(3);
  for (int v : {-128, 0, 127}) t.add_int32_data(v);
  Result<Tensor> tensor = DecodeTensorProto(t);
  ASSERT_TRUE(tensor.ok()) << tensor.status().ToString();
  EXPECT_EQ(tensor->dtype(), DataType::kInt8);
  EXPECT_EQ(tensor->data<int8_t>()[0], -128);
  EXPECT_EQ(tensor->data<int8_t>()[2], 127);

  t.set_data_type(onnx::TensorProto::BOOL);
  t.clear_int32_data();
  for (int v : {0, 1, 5}) t.add_int32_data(v);
  tensor = DecodeTensorProto(t);
  ASSERT_TRUE(tensor.ok());
  EXPECT_EQ(tensor->data<uint8_t>()[2], 1);

  onnx::TensorProto i64;
  i64.set_data_type(onnx::TensorProto::INT64);
  i64.add_int64_data(-5);  // scalar: no dims
  tensor = DecodeTensorProto(i64);
  ASSERT_TRUE(tensor.ok());
  EXPECT_EQ(tensor->shape(), Shape{});
  EXPECT_EQ(tensor->data<int64_t>()[0], -5);
}

TEST(OnnxTensorTest, RejectsMismatchedDataUnsupportedDtypesAndExternalData) {
  onnx::TensorProto t;
  t.set_name("w");
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(2);
  t.set_raw_data(std::string(7, '\0'));  // 2 floats need 8 bytes
  Result<Tensor> r = DecodeTensorProto(t);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("'w'"));

  t.set_data_type(onnx::TensorProto::FLOAT16);
  t.set_raw_data(std::string(4, '\0'));
  r = DecodeTensorProto(t);
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(r.status().message(), HasSubstr("dtype float16"));

  t.set_data_type(onnx::TensorProto::FLOAT);
  t.clear_raw_data();
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  r = DecodeTensorProto(t);
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(r.status().message(), HasSubstr("external data"));

  onnx::TensorProto neg;
  neg.set_data_type(onnx::TensorProto::FLOAT);
  neg.add_dims(-1);
  EXPECT_EQ(DecodeTensorProto(neg).status().code(), StatusCode::kInvalidArgument);
}

TEST(OnnxAttributeTest, ConvertsListsAndRejectsTensorAttributes) {
  onnx::AttributeProto ints;
  ints.set_name("pads");
  ints.set_type(onnx::AttributeProto::INTS);
  for (int v : {1, 1, 2, 2}) ints.add_ints(v);
  Result<ir::Attribute> a = ConvertAttribute(ints);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, ir::Attribute::Kind::kInts);
  EXPECT_EQ(a->ints, (std::vector<int64_t>{1, 1, 2, 2}));

  onnx::AttributeProto strings;
  strings.set_name("activations");
  strings.set_type(onnx::AttributeProto::STRINGS);
  strings.add_strings("Sigmoid");
  strings.add_strings("Tanh");
  a = ConvertAttribute(strings);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->strings, (std::vector<std::string>{"Sigmoid", "Tanh"}));

  onnx::AttributeProto untyped;  // IR v1: no type, only a value
  untyped.set_name("alpha");
  untyped.set_f(0.25f);
  a = ConvertAttribute(untyped);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, ir::Attribute::Kind::kFloat);

  onnx::AttributeProto tensor;
  tensor.set_name("value");
  tensor.set_type(onnx::AttributeProto::TENSOR);
  a = ConvertAttribute(tensor);
  EXPECT_EQ(a.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(a.status().message(), HasSubstr("attribute 'value' of type TENSOR"));
}

}  // namespace
}  // namespace kinglet::compression
