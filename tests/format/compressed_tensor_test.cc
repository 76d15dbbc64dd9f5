// The compressed tensor encoding: every value coding, with and without sparsity and Huffman
// streams, decodes in the engine to exactly DecodeToDense; the .kgl writer stores it and refuses
// payloads that disagree with the graph; and hostile payloads are refused, never crash.
#include "encode/compressed_tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "encode/huffman.h"
#include "format/kgl_format.h"
#include "format/tensor_decoder.h"
#include "ir/graph.h"
#include "kinglet/compression/kgl_writer.h"
#include "kinglet/model.h"
#include "kinglet/session.h"
#include "resign.h"

namespace kinglet::compression {
namespace {

std::vector<float> Gaussian(size_t n, uint32_t seed, float stddev = 0.1f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

std::vector<int64_t> RandomPositions(uint64_t n, double density, uint32_t seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution keep(density);
  std::vector<int64_t> p;
  for (uint64_t i = 0; i < n; ++i) {
    if (keep(rng)) p.push_back(static_cast<int64_t>(i));
  }
  return p;
}

CompressedTensor Floats(Shape shape, ValueCoding coding, std::optional<std::vector<int64_t>> positions,
                        uint32_t seed) {
  CompressedTensor t;
  t.shape = std::move(shape);
  t.positions = std::move(positions);
  t.coding = coding;
  t.values = Gaussian(t.stored_count(), seed);
  return t;
}

CompressedTensor Int8(Shape shape, int axis, std::optional<std::vector<int64_t>> positions, uint32_t seed) {
  CompressedTensor t;
  t.shape = std::move(shape);
  t.positions = std::move(positions);
  t.coding = ValueCoding::kInt8PerChannel;
  std::mt19937 rng(seed);
  const size_t channels = static_cast<size_t>(t.shape[axis]);
  t.int8.axis = axis;
  for (size_t c = 0; c < channels; ++c) {
    t.int8.scales.push_back(0.001f * static_cast<float>(1 + rng() % 100));
    t.int8.zero_points.push_back(static_cast<int8_t>(static_cast<int>(rng() % 21) - 10));
  }
  std::binomial_distribution<int> peaked(255, 0.5);  // centred, like quantized Gaussian weights
  for (uint64_t i = 0; i < t.stored_count(); ++i) t.int8.q.push_back(static_cast<int8_t>(peaked(rng) - 128));
  return t;
}

CompressedTensor KMeans(Shape shape, int bits, std::optional<std::vector<int64_t>> positions, uint32_t seed,
                        size_t centroids = 0) {
  CompressedTensor t;
  t.shape = std::move(shape);
  t.positions = std::move(positions);
  t.coding = ValueCoding::kCodebook;
  t.codebook.bits = bits;
  const size_t k = centroids ? centroids : size_t{1} << bits;
  t.codebook.centroids = Gaussian(k, seed + 1);
  std::mt19937 rng(seed);
  std::binomial_distribution<int> peaked(static_cast<int>(k - 1), 0.5);
  for (uint64_t i = 0; i < t.stored_count(); ++i)
    t.codebook.indices.push_back(static_cast<uint8_t>(peaked(rng)));
  return t;
}

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         (a.byte_size() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0);
}

Result<format::DecodedTensor> EngineDecode(const std::string& payload, const Shape& shape) {
  return format::DecodeCompressedTensor(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                                        shape);
}

// Encodes `t`, decodes with the engine, and requires DecodeToDense's values bit for bit.
void ExpectRoundTrip(const CompressedTensor& t, const std::string& label) {
  SCOPED_TRACE(label);
  ASSERT_TRUE(ValidateCompressedTensor(t).ok()) << ValidateCompressedTensor(t).ToString();
  auto payload = EncodeCompressedTensor(t);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  auto decoded = EngineDecode(*payload, t.shape);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const Tensor want = DecodeToDense(t);
  EXPECT_TRUE(SameBits(decoded->tensor, want));
  EXPECT_EQ(decoded->encoding_name, CompressedTensorName(t));
  // Unstored elements are +0.0 exactly.
  if (t.positions) {
    const float* d = decoded->tensor.data<float>();
    size_t next = 0;
    for (int64_t i = 0; i < ElementCount(t.shape); ++i) {
      if (next < t.positions->size() && (*t.positions)[next] == i) {
        ++next;
        continue;
      }
      uint32_t bits;
      std::memcpy(&bits, &d[i], 4);
      ASSERT_EQ(bits, 0u) << "element " << i;
    }
  }
}

// --- fp16 --------------------------------------------------------------------------------

TEST(Fp16, EveryHalfSurvivesWideningAndNarrowing) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = format::HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(format::HalfToFloat(FloatToHalf(f))));
      continue;
    }
    ASSERT_EQ(FloatToHalf(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(Fp16, RoundsToNearestEven) {
  EXPECT_EQ(format::HalfToFloat(FloatToHalf(1.0f + std::ldexp(1.0f, -11))), 1.0f);  // tie -> even (down)
  EXPECT_EQ(format::HalfToFloat(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11))), 1.0f + std::ldexp(1.0f, -9));
  EXPECT_EQ(format::HalfToFloat(FloatToHalf(65519.0f)), 65504.0f);
  EXPECT_TRUE(std::isinf(format::HalfToFloat(FloatToHalf(65520.0f))));
  EXPECT_EQ(format::HalfToFloat(FloatToHalf(std::ldexp(1.0f, -24))),
            std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(format::HalfToFloat(FloatToHalf(std::ldexp(1.0f, -26))), 0.0f);
  EXPECT_TRUE(std::signbit(format::HalfToFloat(FloatToHalf(-0.0f))));
  // Nearest: no neighbouring half is closer than the chosen one.
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-70000.0f, 70000.0f);
  for (int i = 0; i < 20000; ++i) {
    const float x = i % 2 ? u(rng) : u(rng) * 1e-5f;
    const uint16_t h = FloatToHalf(x);
    const double err = std::fabs(static_cast<double>(format::HalfToFloat(h)) - x);
    for (int d : {-1, 1}) {
      const float neighbour = format::HalfToFloat(static_cast<uint16_t>(h + d));
      if (std::isfinite(neighbour) && std::isfinite(format::HalfToFloat(h))) {
        ASSERT_LE(err, std::fabs(static_cast<double>(neighbour) - x)) << x;
      }
    }
  }
}

// --- Round trips per encoding ---------------------------------------------------------------

TEST(CompressedTensor, Fp32AndFp16RoundTrip) {
  for (ValueCoding c : {ValueCoding::kFloat32, ValueCoding::kFloat16}) {
    CompressedTensor t = Floats({16, 3, 3, 3}, c, std::nullopt, 1);
    t.values[0] = 1e-7f;  // fp16 subnormal territory
    t.values[1] = -70000.0f;
    t.values[2] = -0.0f;
    ExpectRoundTrip(t, c == ValueCoding::kFloat32 ? "fp32" : "fp16");
  }
  auto payload = EncodeCompressedTensor(Floats({100}, ValueCoding::kFloat16, std::nullopt, 2));
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(payload->size(), 4 + 2 * 100u) << "fp16 is a 4-byte header and two bytes a value";
}

TEST(CompressedTensor, Int8PerChannelRoundTrip) {
  for (int axis : {0, 1, 3}) {
    for (bool huffman : {false, true}) {
      CompressedTensor t = Int8({8, 5, 3, 3}, axis, std::nullopt, 3 + axis);
      t.huffman_values = huffman;
      ExpectRoundTrip(t, "int8 axis " + std::to_string(axis) + (huffman ? " huffman" : ""));
    }
  }
  // The dequantization is the documented affine map, per channel.
  CompressedTensor t = Int8({2, 3}, 0, std::nullopt, 9);
  const Tensor d = DecodeToDense(t);
  for (int i = 0; i < 6; ++i) {
    const int c = i / 3;
    EXPECT_EQ(d.data<float>()[i], t.int8.scales[c] * static_cast<float>(t.int8.q[i] - t.int8.zero_points[c]));
  }
}

TEST(CompressedTensor, CodebookEveryWidthRoundTrip) {
  for (int bits = 1; bits <= 8; ++bits) {
    for (bool huffman : {false, true}) {
      CompressedTensor t = KMeans({30, 40}, bits, std::nullopt, static_cast<uint32_t>(bits));
      t.huffman_values = huffman;
      ExpectRoundTrip(t, "kmeans" + std::to_string(bits) + (huffman ? "+huffman" : ""));
      if (bits >= 3 && huffman) {
        auto raw = t;
        raw.huffman_values = false;
        EXPECT_LT(EncodeCompressedTensor(t)->size(), EncodeCompressedTensor(raw)->size())
            << "a peaked index distribution must shrink under Huffman";
      }
    }
    // A codebook smaller than 2^n, and one centroid only (every index 0, a 1-bit Huffman code).
    ExpectRoundTrip(KMeans({7, 11}, bits, std::nullopt, 50, (size_t{1} << bits) - (bits > 1 ? 1 : 0)),
                    "partial codebook");
    CompressedTensor single = KMeans({7, 11}, bits, std::nullopt, 51, 1);
    single.huffman_values = true;
    ExpectRoundTrip(single, "single centroid");
  }
  EXPECT_EQ(CompressedTensorName(KMeans({4}, 4, std::nullopt, 1)), "kmeans4");
}

TEST(CompressedTensor, SparseWithEveryValueCoding) {
  const Shape shape = {64, 50};
  const uint64_t n = 64 * 50;
  int seed = 100;
  for (double density : {0.0, 0.01, 0.1, 0.5, 1.0}) {
    const std::vector<int64_t> positions = RandomPositions(n, density, seed++);
    for (int gap_bits = 0; gap_bits <= 8; gap_bits += (gap_bits < 2 ? 1 : 3)) {
      for (bool huffman : {false, true}) {
        std::vector<CompressedTensor> all = {Floats(shape, ValueCoding::kFloat32, positions, seed),
                                             Floats(shape, ValueCoding::kFloat16, positions, seed),
                                             Int8(shape, 0, positions, seed),
                                             Int8(shape, 1, positions, seed),
                                             KMeans(shape, 5, positions, seed),
                                             KMeans(shape, 1, positions, seed)};
        for (CompressedTensor& t : all) {
          t.gap_bits = gap_bits;
          t.huffman_gaps = huffman;
          t.huffman_values = huffman;
          ExpectRoundTrip(t, CompressedTensorName(t) + " density " + std::to_string(density) + " gap bits " +
                                 std::to_string(gap_bits));
        }
      }
    }
  }
  // Edge positions: first and last element only, and one gap longer than any symbol.
  for (std::vector<int64_t> p : {std::vector<int64_t>{0}, std::vector<int64_t>{static_cast<int64_t>(n - 1)},
                                 std::vector<int64_t>{0, static_cast<int64_t>(n - 1)}}) {
    CompressedTensor t = KMeans(shape, 3, p, 7);
    t.gap_bits = 2;
    ExpectRoundTrip(t, "edge positions");
  }
  CompressedTensor t = KMeans({64, 50}, 5, RandomPositions(n, 0.1, 3), 3);
  t.huffman_gaps = t.huffman_values = true;
  EXPECT_EQ(CompressedTensorName(t), "sparse+kmeans5+huffman");
}

TEST(CompressedTensor, EmptyAndScalarTensors) {
  ExpectRoundTrip(Floats({0, 5}, ValueCoding::kFloat16, std::nullopt, 1), "empty fp16");
  ExpectRoundTrip(KMeans({5, 0}, 4, std::nullopt, 1), "empty kmeans");
  ExpectRoundTrip(KMeans({5, 0}, 4, std::vector<int64_t>{}, 1), "empty sparse");
  ExpectRoundTrip(Floats({}, ValueCoding::kFloat16, std::nullopt, 1), "scalar");
  ExpectRoundTrip(KMeans({}, 2, std::vector<int64_t>{0}, 1), "sparse scalar");
}

TEST(CompressedTensor, ChooseSmallestCodingsNeverGrows) {
  for (double density : {0.02, 0.1, 0.6}) {
    CompressedTensor t = KMeans({100, 100}, 5, RandomPositions(10000, density, 4), 4);
    auto before = EncodeCompressedTensor(t);
    ChooseSmallestCodings(&t);
    auto after = EncodeCompressedTensor(t);
    ASSERT_TRUE(before.ok() && after.ok());
    EXPECT_LE(after->size(), before->size());
    ExpectRoundTrip(t, "chosen codings");
  }
}

TEST(CompressedTensor, BlockedHuffmanRoundTrips) {
  const Shape shape = {40, 33};  // 1,320 elements: blocks of 8 leave a partial last block
  const uint64_t n = 40 * 33;
  for (double density : {0.7, 0.95}) {
    const std::vector<int64_t> positions = RandomPositions(n, density, 11);
    for (int gap_block : {2, 4, 8}) {
      for (int gap_bits = 1; gap_bits * gap_block <= 8; ++gap_bits) {
        for (int value_block : {1, 2, 4}) {
          CompressedTensor t = KMeans(shape, 2, positions, 12);
          t.gap_bits = gap_bits;
          t.gap_block = gap_block;
          t.value_block = value_block;
          t.huffman_gaps = t.huffman_values = true;
          ExpectRoundTrip(t, "gap block " + std::to_string(gap_block) + " gap bits " +
                                 std::to_string(gap_bits) + " value block " + std::to_string(value_block));
        }
      }
    }
  }
  CompressedTensor t = KMeans({7, 3}, 4, std::nullopt, 13);  // 21 indices: a partial last block
  t.huffman_values = true;
  t.value_block = 2;
  ExpectRoundTrip(t, "dense 4-bit indices in pairs");
  EXPECT_EQ(CompressedTensorName(t), "kmeans4+huffman");
}

// A layer pruned by only 30% has a 1-bit gap stream (keep / skip one) whose entropy is 0.88
// bits: one symbol per Huffman code word costs a whole bit, blocks of them approach the entropy.
TEST(CompressedTensor, BlockedGapsOfAMildlyPrunedLayerComeWithinThreePercentOfTheEntropy) {
  CompressedTensor t = KMeans({64, 72}, 4, RandomPositions(64 * 72, 0.7, 14), 14);
  ChooseSmallestCodings(&t);
  EXPECT_TRUE(t.huffman_gaps);
  EXPECT_GT(t.gap_block, 1);
  ExpectRoundTrip(t, "chosen codings");
  for (const NamedStreamReport& r : ReportStreams(t)) {
    if (r.stream != "gaps") continue;
    std::printf("[ measured ] chosen: %s\n", r.report.ToString().c_str());
    EXPECT_LE(r.report.OverheadVsEntropy(), 0.03);
  }
  // The 1-bit gap stream: one symbol per code word costs a whole bit, blocks of 8 come close
  // to its entropy.
  const std::vector<uint32_t> gaps = GapSymbols(*t.positions, t.element_count(), 1);
  const StreamReport single = ReportStream(gaps, 1), blocked = ReportStream(gaps, 1, 8);
  std::printf("[ measured ] 1-bit gaps: %s\n[ measured ] 1-bit gaps: %s\n", single.ToString().c_str(),
              blocked.ToString().c_str());
  EXPECT_LT(single.entropy, 0.95);
  EXPECT_DOUBLE_EQ(single.huffman, 1.0);
  EXPECT_LE(blocked.OverheadVsEntropy(), 0.03);
}

TEST(CompressedTensor, InvalidRepresentationsAreRefused) {
  CompressedTensor t = KMeans({4, 4}, 2, std::nullopt, 1);
  t.codebook.indices[3] = 4;
  EXPECT_EQ(EncodeCompressedTensor(t).status().code(), StatusCode::kInvalidArgument);
  t = KMeans({4, 4}, 2, std::vector<int64_t>{3, 3}, 1);
  EXPECT_FALSE(EncodeCompressedTensor(t).ok()) << "positions must strictly increase";
  t = KMeans({4, 4}, 2, std::vector<int64_t>{16}, 1);
  EXPECT_FALSE(EncodeCompressedTensor(t).ok()) << "positions must be inside the tensor";
  t = Int8({4, 4}, 0, std::nullopt, 1);
  t.int8.scales.pop_back();
  EXPECT_FALSE(EncodeCompressedTensor(t).ok());
  t = KMeans({4, 4}, 9, std::nullopt, 1);
  EXPECT_FALSE(EncodeCompressedTensor(t).ok());
  t = KMeans({4, 4}, 3, std::nullopt, 1);
  t.value_block = 3;
  EXPECT_FALSE(EncodeCompressedTensor(t).ok()) << "blocks of 1, 2, 4 or 8 symbols";
  t.value_block = 4;
  EXPECT_FALSE(EncodeCompressedTensor(t).ok()) << "4 x 3-bit symbols do not fit an 8-bit block";
  t = KMeans({4, 4}, 2, std::vector<int64_t>{1, 5}, 1);
  t.gap_bits = 3;
  t.gap_block = 4;
  EXPECT_FALSE(EncodeCompressedTensor(t).ok());
  EXPECT_EQ(DecodeToDense(t).raw_data(), nullptr) << "DecodeToDense of an invalid representation is empty";
}

// --- Through the .kgl container -------------------------------------------------------------

// x[?,64] -> Gemm(w1[32,64], b1) -> Relu -> Gemm(w2[10,32], b2) -> y; w1, w2 and b1 compressed.
struct Mlp {
  ir::Graph graph;
  std::map<int32_t, EncodedConstant> encoded;
  std::map<int32_t, CompressedTensor> compressed;
};

Mlp CompressedMlp() {
  Mlp m;
  ir::Graph& g = m.graph;
  const int32_t x = g.AddValue({"x", DataType::kFloat32, {-1, 64}, true});
  const int32_t w1 = g.AddValue({"w1", DataType::kFloat32, {32, 64}, true});
  const int32_t b1 = g.AddValue({"b1", DataType::kFloat32, {32}, true});
  const int32_t h = g.AddValue({"h", DataType::kFloat32, {-1, 32}, true});
  const int32_t r = g.AddValue({"r", DataType::kFloat32, {-1, 32}, true});
  const int32_t w2 = g.AddValue({"w2", DataType::kFloat32, {10, 32}, true});
  const int32_t b2 = g.AddValue({"b2", DataType::kFloat32, {10}, true});
  const int32_t y = g.AddValue({"y", DataType::kFloat32, {-1, 10}, true});
  g.inputs = {x};
  g.outputs = {y};
  CompressedTensor cw1 = KMeans({32, 64}, 5, RandomPositions(32 * 64, 0.2, 8), 8);
  ChooseSmallestCodings(&cw1);
  CompressedTensor cw2 = Int8({10, 32}, 0, std::nullopt, 9);
  cw2.huffman_values = true;
  CompressedTensor cb1 = Floats({32}, ValueCoding::kFloat16, std::nullopt, 10);
  m.compressed = {{w1, cw1}, {w2, cw2}, {b1, cb1}};
  for (const auto& [index, t] : m.compressed) {
    g.constants[index] = DecodeToDense(t);
    auto e = EncodeConstant(t);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    m.encoded[index] = *e;
  }
  g.constants[b2] = Tensor::FromFloats({10}, Gaussian(10, 11));
  auto gemm = [&g](const char* name, int32_t a, int32_t w, int32_t b, int32_t out) {
    ir::Node n;
    n.name = name;
    n.op_type = "Gemm";
    n.inputs = {a, w, b};
    n.outputs = {out};
    ir::Attribute t;
    t.name = "transB";
    t.kind = ir::Attribute::Kind::kInt;
    t.i = 1;
    n.attrs.Set(t);
    g.nodes.push_back(n);
  };
  gemm("fc1", x, w1, b1, h);
  ir::Node relu;
  relu.name = "relu";
  relu.op_type = "Relu";
  relu.inputs = {h};
  relu.outputs = {r};
  g.nodes.push_back(relu);
  gemm("fc2", r, w2, b2, y);
  return m;
}

std::vector<NamedTensor> RunModel(std::shared_ptr<const Model> model) {
  std::vector<NamedTensor> outputs;
  auto session = Session::Create(std::move(model));
  EXPECT_TRUE(session.ok());
  if (!session.ok()) return outputs;
  const Status s = (*session)->Run({{"x", Tensor::FromFloats({4, 64}, Gaussian(256, 12, 1.0f))}}, &outputs);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return outputs;
}

TEST(CompressedKgl, EngineLoadsAndRunsCompressedConstants) {
  Mlp m = CompressedMlp();
  auto bytes = SerializeKgl(m.graph, m.encoded);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto dense_bytes = SerializeKgl(m.graph);
  ASSERT_TRUE(dense_bytes.ok());
  EXPECT_LT(bytes->size(), dense_bytes->size());

  auto model = Model::LoadBuffer(bytes->data(), bytes->size());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ir::Graph& g = (*model)->graph();
  for (const auto& [index, t] : m.compressed) {
    EXPECT_TRUE(SameBits(g.constants.at(index), DecodeToDense(t))) << g.values[index].name;
    EXPECT_EQ(g.constant_encoding.at(index), ir::Encoding::kCompressed);
    EXPECT_EQ(g.constant_storage.at(index).name, CompressedTensorName(t));
    EXPECT_EQ(g.constant_storage.at(index).stored_bytes, m.encoded.at(index).payload.size());
  }
  // Stats count stored bytes under each encoding's name.
  const ModelStats stats = (*model)->Stats();
  for (const auto& [index, t] : m.compressed) {
    EXPECT_EQ(stats.bytes_by_encoding.at(CompressedTensorName(t)), m.encoded.at(index).payload.size());
  }
  EXPECT_EQ(stats.bytes_by_encoding.at("dense"), 40u);
  EXPECT_EQ(stats.parameter_count, 32 * 64 + 32 + 10 * 32 + 10);

  // The compressed artifact computes exactly what the in-memory graph of decoded values does —
  // given the same storage marks, since int8-stored weights of a Gemm run the int8 kernel.
  ir::Graph decoded = m.graph;
  decoded.constant_storage = g.constant_storage;
  auto reference = Model::FromGraph(std::move(decoded));
  ASSERT_TRUE(reference.ok());
  const auto got = RunModel(*model);
  const auto want = RunModel(*reference);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(want.size(), 1u);
  EXPECT_TRUE(SameBits(got[0].tensor, want[0].tensor));
}

TEST(CompressedKgl, WriterRefusesPayloadsThatDisagreeWithTheGraph) {
  Mlp m = CompressedMlp();
  const int32_t w1 = m.graph.FindValue("w1");
  // The graph holds the original weights instead of the decoded ones.
  ir::Graph stale = m.graph;
  stale.constants[w1] = stale.constants[w1].Clone();
  stale.constants[w1].data<float>()[5] += 1e-3f;
  auto bytes = SerializeKgl(stale, m.encoded);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), StatusCode::kInternal);
  EXPECT_NE(bytes.status().message().find("w1"), std::string::npos) << bytes.status().message();

  auto wrong_name = m.encoded;
  wrong_name[w1].name = "kmeans2";
  EXPECT_EQ(SerializeKgl(m.graph, wrong_name).status().code(), StatusCode::kInternal);

  auto truncated = m.encoded;
  truncated[w1].payload.pop_back();
  EXPECT_EQ(SerializeKgl(m.graph, truncated).status().code(), StatusCode::kInternal);

  auto not_a_constant = m.encoded;
  not_a_constant[m.graph.FindValue("h")] = m.encoded[w1];
  EXPECT_EQ(SerializeKgl(m.graph, not_a_constant).status().code(), StatusCode::kInvalidArgument);
}

// --- Hostile payloads -------------------------------------------------------------------------

std::vector<std::pair<std::string, CompressedTensor>> HostileSamples() {
  std::vector<std::pair<std::string, CompressedTensor>> s;
  CompressedTensor a = KMeans({12, 10}, 5, RandomPositions(120, 0.3, 1), 1);
  a.huffman_gaps = a.huffman_values = true;
  a.gap_bits = 3;
  s.push_back({"sparse kmeans huffman", a});
  CompressedTensor b = Int8({6, 20}, 1, std::nullopt, 2);
  b.huffman_values = true;
  s.push_back({"int8 huffman", b});
  CompressedTensor c = KMeans({9, 9}, 3, RandomPositions(81, 0.2, 3), 3);
  c.gap_bits = 2;
  s.push_back({"sparse kmeans raw", c});
  s.push_back({"sparse fp16", Floats({50}, ValueCoding::kFloat16, RandomPositions(50, 0.5, 4), 4)});
  CompressedTensor d = KMeans({11, 9}, 2, RandomPositions(99, 0.7, 5), 5);
  d.huffman_gaps = d.huffman_values = true;
  d.gap_bits = 1;
  d.gap_block = 8;
  d.value_block = 2;
  s.push_back({"sparse kmeans blocked huffman", d});
  return s;
}

TEST(CompressedCorruption, EveryTruncationIsRefused) {
  for (const auto& [label, t] : HostileSamples()) {
    auto payload = EncodeCompressedTensor(t);
    ASSERT_TRUE(payload.ok());
    for (size_t len = 0; len < payload->size(); ++len) {
      auto d = EngineDecode(payload->substr(0, len), t.shape);
      ASSERT_FALSE(d.ok()) << label << ": a " << len << "-byte prefix was accepted";
      EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
    }
    auto longer = EngineDecode(*payload + '\0', t.shape);
    EXPECT_FALSE(longer.ok()) << label << ": trailing byte accepted";
  }
}

TEST(CompressedCorruption, MutatedPayloadsNeverCrash) {
  // Straight at the decoder (no checksums in the way): random bytes set, bits flipped, fields
  // set to extremes. Each result is a clean Corruption or a tensor of the right shape.
  std::mt19937 rng(2024);
  int refused = 0, total = 0;
  for (const auto& [label, t] : HostileSamples()) {
    const std::string good = *EncodeCompressedTensor(t);
    for (int i = 0; i < 6000; ++i, ++total) {
      std::string bytes = good;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < edits; ++k) {
        const size_t pos = rng() % bytes.size();
        switch (rng() % 3) {
          case 0:
            bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << (rng() % 8)));
            break;
          case 1:
            bytes[pos] = static_cast<char>(rng());
            break;
          default:
            bytes[pos] = static_cast<char>(rng() % 2 ? 0xFF : 0x00);
            break;
        }
      }
      auto d = EngineDecode(bytes, t.shape);
      if (!d.ok()) {
        ++refused;
        ASSERT_EQ(d.status().code(), StatusCode::kCorruption) << label;
      } else {
        ASSERT_EQ(d->tensor.shape(), t.shape);
      }
    }
  }
  EXPECT_GT(refused, total / 2) << "most damage should be caught structurally";
}

TEST(CompressedCorruption, BlockedStreamsRefuseBadBlocksAndPadding) {
  // Dense 2-bit indices: header (4 B), bits (1), centroid count (2), 4 centroids (16), then the
  // index stream: coding (1), count (8), block (1), table, byte count (4), bits.
  CompressedTensor t = KMeans({3, 5}, 2, std::nullopt, 6);  // 15 indices, blocks of 4: one pad
  t.huffman_values = true;
  t.value_block = 4;
  const std::string good = *EncodeCompressedTensor(t);
  ASSERT_TRUE(EngineDecode(good, t.shape).ok());
  const size_t stream = 4 + 1 + 2 + 4 * sizeof(float);
  ASSERT_EQ(good[stream], static_cast<char>(format::StreamCoding::kBlockedHuffman));
  for (uint8_t block : {0, 1, 3, 5, 16, 255}) {
    std::string bad = good;
    bad[stream + 9] = static_cast<char>(block);
    auto d = EngineDecode(bad, t.shape);
    ASSERT_FALSE(d.ok()) << "block " << int(block);
    EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
  }
  // The padding symbol of the last block must be zero: 16 symbols coded, 15 announced.
  std::vector<uint32_t> indices(t.codebook.indices.begin(), t.codebook.indices.end());
  indices.push_back(1);
  std::string padded = EncodeStream(indices, 2, true, 4);
  const uint64_t announced = 15;
  std::memcpy(&padded[1], &announced, sizeof(announced));
  auto d = EngineDecode(good.substr(0, stream) + padded, t.shape);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("trailing bits"), std::string::npos) << d.status().message();
}

TEST(CompressedCorruption, HugeShapeWithTinyPayloadIsRefusedBeforeAllocating) {
  // 2^36 elements (the reader's element limit) would be 256 GiB of float32.
  CompressedTensor t = KMeans({4}, 1, std::vector<int64_t>{}, 1);
  const std::string payload = *EncodeCompressedTensor(t);
  auto d = EngineDecode(payload, {int64_t{1} << 18, int64_t{1} << 18});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
  EXPECT_NE(d.status().message().find("more elements than"), std::string::npos) << d.status().message();
  EXPECT_FALSE(EngineDecode(payload, {4, -1}).ok());
}

TEST(CompressedCorruption, HostileContentWithValidChecksumsNeverCrashes) {
  // The whole artifact, damaged inside the constants table and payloads, then re-signed.
  Mlp m = CompressedMlp();
  const std::string good = *SerializeKgl(m.graph, m.encoded);
  std::mt19937 rng(77);
  const size_t body_start = format::kHeaderSize + 4 * format::kSectionEntrySize;
  int refused = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      const size_t pos = body_start + rng() % (bytes.size() - body_start);
      bytes[pos] = static_cast<char>(i % 3 == 0 ? 0xFF : rng());
    }
    testing::Resign(&bytes);
    auto model = Model::LoadBuffer(bytes.data(), bytes.size());
    if (!model.ok()) {
      ++refused;
      EXPECT_FALSE(model.status().message().empty());
    } else {
      EXPECT_EQ(ir::ValidateGraph((*model)->graph()), "");
    }
  }
  EXPECT_GT(refused, 1000);
}

TEST(CompressedCorruption, UnknownEncodingCodeSaysUpgrade) {
  Mlp m = CompressedMlp();
  const int32_t w1 = m.graph.FindValue("w1");
  std::string bytes = *SerializeKgl(m.graph, m.encoded);
  // Find w1's constant-table entry (i32 index, u8 encoding 2) and make it encoding 9.
  const std::string needle = std::string(reinterpret_cast<const char*>(&w1), 4) + '\x02';
  uint64_t constants_offset = 0;
  for (size_t e = format::kHeaderSize; e < format::kHeaderSize + 4 * format::kSectionEntrySize;
       e += format::kSectionEntrySize) {
    uint32_t kind = 0;
    std::memcpy(&kind, &bytes[e], 4);
    if (kind == static_cast<uint32_t>(format::SectionKind::kConstants))
      std::memcpy(&constants_offset, &bytes[e + 8], 8);
  }
  ASSERT_NE(constants_offset, 0u);
  const size_t at = bytes.find(needle, constants_offset);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 4] = 9;
  testing::Resign(&bytes);
  auto model = Model::LoadBuffer(bytes.data(), bytes.size());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("upgrade"), std::string::npos);
}

}  // namespace
}  // namespace kinglet::compression
