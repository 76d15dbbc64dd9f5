// The .kgl container: what the compression writer produces, the engine reader gives back
// exactly; and what it is handed that is not such a file, it refuses with a Status.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "format/crc32.h"
#include "format/kgl_format.h"
#include "ir/graph.h"
#include "kinglet/compression/kgl_writer.h"
#include "kinglet/model.h"
#include "resign.h"

namespace kinglet {
namespace {

ir::Attribute Ints(const std::string& name, std::vector<int64_t> v) {
  ir::Attribute a;
  a.name = name;
  a.kind = ir::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}

// A two-layer perceptron with every attribute kind, small enough to flip every bit of.
ir::Graph SampleGraph() {
  ir::Graph g;
  g.opset = 13;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {-1, 4}, true});
  const int32_t w = g.AddValue({"w", DataType::kFloat32, {3, 4}, true});
  const int32_t b = g.AddValue({"b", DataType::kFloat32, {3}, true});
  const int32_t h = g.AddValue({"h", DataType::kFloat32, {-1, 3}, true});
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {-1, 3}, true});
  g.inputs = {x};
  g.outputs = {y};
  g.constants[w] = Tensor::FromFloats({3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  g.constants[b] = Tensor::FromFloats({3}, {0.5f, -0.5f, 0.25f});
  g.constant_encoding[w] = ir::Encoding::kDenseRaw;
  g.constant_encoding[b] = ir::Encoding::kDenseRaw;

  ir::Node gemm;
  gemm.name = "fc";
  gemm.op_type = "Gemm";
  gemm.inputs = {x, w, b};
  gemm.outputs = {h};
  ir::Attribute trans;
  trans.name = "transB";
  trans.kind = ir::Attribute::Kind::kInt;
  trans.i = 1;
  gemm.attrs.Set(trans);
  ir::Attribute alpha;
  alpha.name = "alpha";
  alpha.kind = ir::Attribute::Kind::kFloat;
  alpha.f = 1.0f;
  gemm.attrs.Set(alpha);
  g.nodes.push_back(gemm);

  ir::Node relu;
  relu.name = "act";
  relu.op_type = "Relu";
  relu.inputs = {h};
  relu.outputs = {y};
  relu.attrs.Set(Ints("unused_ints", {1, -2, 3}));
  ir::Attribute s;
  s.name = "note";
  s.kind = ir::Attribute::Kind::kString;
  s.s = "hello";
  relu.attrs.Set(s);
  g.nodes.push_back(relu);
  g.metadata["producer"] = "kgl_roundtrip_test";
  return g;
}

std::string SampleBytes() {
  auto bytes = compression::SerializeKgl(SampleGraph());
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

TEST(KglRoundTrip, ReaderReturnsWhatTheWriterWrote) {
  const std::string bytes = SampleBytes();
  auto model = Model::LoadBuffer(bytes.data(), bytes.size());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ir::Graph& g = (*model)->graph();
  const ir::Graph want = SampleGraph();
  ASSERT_EQ(g.values.size(), want.values.size());
  for (size_t i = 0; i < g.values.size(); ++i) {
    EXPECT_EQ(g.values[i].name, want.values[i].name);
    EXPECT_EQ(g.values[i].dtype, want.values[i].dtype);
    EXPECT_EQ(g.values[i].shape, want.values[i].shape);
  }
  EXPECT_EQ(g.inputs, want.inputs);
  EXPECT_EQ(g.outputs, want.outputs);
  EXPECT_EQ(g.opset, 13);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op_type, "Gemm");
  EXPECT_EQ(g.nodes[0].attrs.GetInt("transB", 0), 1);
  EXPECT_FLOAT_EQ(g.nodes[0].attrs.GetFloat("alpha", 0), 1.0f);
  EXPECT_EQ(g.nodes[1].attrs.GetInts("unused_ints"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(g.nodes[1].attrs.GetString("note", ""), "hello");
  ASSERT_EQ(g.constants.size(), 2u);
  const Tensor& w = g.constants.at(1);
  EXPECT_EQ(w.shape(), (Shape{3, 4}));
  EXPECT_EQ(0, std::memcmp(w.raw_data(), want.constants.at(1).raw_data(), w.byte_size()));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w.raw_data()) % format::kPayloadAlignment, 0u)
      << "dense payloads must be aligned so they can be used in place";
  EXPECT_EQ(g.metadata.at("producer"), "kgl_roundtrip_test");

  const ModelStats stats = (*model)->Stats();
  EXPECT_EQ(stats.parameter_count, 15);
  EXPECT_EQ(stats.bytes_by_encoding.at("dense"), 60u);
  EXPECT_EQ(stats.op_counts.at("Gemm"), 1);
}

TEST(KglCorruption, EveryTruncationIsRefused) {
  const std::string bytes = SampleBytes();
  for (size_t len = 0; len < bytes.size(); ++len) {
    auto model = Model::LoadBuffer(bytes.data(), len);
    ASSERT_FALSE(model.ok()) << "a " << len << "-byte prefix was accepted";
    EXPECT_FALSE(model.status().message().empty());
  }
}

TEST(KglCorruption, EveryBitFlipIsRefused) {
  const std::string bytes = SampleBytes();
  std::string damaged = bytes;
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      damaged[pos] = static_cast<char>(bytes[pos] ^ (1 << bit));
      auto model = Model::LoadBuffer(damaged.data(), damaged.size());
      ASSERT_FALSE(model.ok()) << "flipping bit " << bit << " of byte " << pos << " went unnoticed";
    }
    damaged[pos] = bytes[pos];
  }
}

TEST(KglCorruption, RandomBytesAreRefused) {
  std::mt19937 rng(1234);
  const std::string good = SampleBytes();
  for (int i = 0; i < 3000; ++i) {
    std::string junk(rng() % 2048, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (i % 2 == 0 && junk.size() >= format::kHeaderSize) {
      // Half the cases get a valid magic and version so the parser goes deeper.
      std::memcpy(&junk[0], good.data(), 12);
    }
    auto model = Model::LoadBuffer(junk.data(), junk.size());
    EXPECT_FALSE(model.ok());
  }
}

using testing::Resign;

TEST(KglCorruption, HostileContentWithValidChecksumsNeverCrashes) {
  // Checksums catch accidents; a hostile file carries correct ones. Damage inside the sections,
  // re-sign, and require a clean refusal or a graph that is still structurally valid.
  std::mt19937 rng(99);
  const std::string good = SampleBytes();
  const size_t body_start = format::kHeaderSize + 4 * format::kSectionEntrySize;
  int refused = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      const size_t pos = body_start + rng() % (bytes.size() - body_start);
      bytes[pos] = static_cast<char>(i % 3 == 0 ? 0xFF : rng());
    }
    Resign(&bytes);
    auto model = Model::LoadBuffer(bytes.data(), bytes.size());
    if (!model.ok()) {
      ++refused;
      EXPECT_FALSE(model.status().message().empty());
    } else {
      EXPECT_EQ(ir::ValidateGraph((*model)->graph()), "");
    }
  }
  EXPECT_GT(refused, 2500) << "structural checks let most damage through";
}

TEST(KglCorruption, NewerFormatVersionSaysUpgrade) {
  std::string bytes = SampleBytes();
  const uint16_t future = format::kFormatMajor + 1;
  std::memcpy(&bytes[format::kOffMajor], &future, sizeof(future));
  auto model = Model::LoadBuffer(bytes.data(), bytes.size());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("newer"), std::string::npos) << model.status().message();
}

TEST(KglCorruption, MissingFileIsNotFound) {
  auto model = Model::LoadFile("/nonexistent/model.kgl");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kinglet
