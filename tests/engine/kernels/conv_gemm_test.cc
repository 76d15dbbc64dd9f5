// Conv as a GEMM with every tile this CPU runs, against the reference Conv (+ activation) on
// random geometries: groups (incl. depthwise), strides, dilations, asymmetric pads, 1-D/2-D/3-D,
// pointwise, with and without bias, weights packed at load or read raw, on 1 and 3 threads.
#include "kernels/conv_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/reference/conv.h"
#include "kernels/reference/fused_activation.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

using reference::ConvParams;

std::vector<float> Random(int64_t count, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

// Aligned scratch for the duration of one call.
struct Scratch {
  explicit Scratch(size_t bytes) : buffer(bytes + 64) {}
  void* get() { return buffer.data() + (64 - reinterpret_cast<uintptr_t>(buffer.data()) % 64) % 64; }
  std::vector<unsigned char> buffer;
};

ConvParams RandomGeometry(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  ConvParams p;
  const int rank = static_cast<int>(pick(1, 3));
  p.batch = pick(1, 3);
  p.group = pick(1, 3);
  const bool depthwise = pick(0, 3) == 0;
  const int64_t cg = depthwise ? 1 : pick(1, 5);
  p.in_channels = cg * p.group;
  p.out_channels = (depthwise ? 1 : pick(1, 7)) * p.group;
  for (int d = 0; d < rank; ++d) {
    const int64_t in = pick(rank == 3 ? 2 : 3, rank == 3 ? 6 : 13);
    const int64_t kernel = pick(1, std::min<int64_t>(in, 4));
    const int64_t stride = pick(1, 3), dilation = kernel > 1 ? pick(1, 2) : 1;
    const int64_t pad_begin = pick(0, 2), pad_end = pick(0, 2);
    const int64_t span = (kernel - 1) * dilation + 1;
    int64_t out = (in + pad_begin + pad_end - span) / stride + 1;
    p.in_spatial.push_back(in);
    p.kernel.push_back(kernel);
    p.strides.push_back(stride);
    p.dilations.push_back(dilation);
    // Keep the window inside the padded input; fall back to an unpadded 1-tap axis if it isn't.
    if (out < 1) {
      p.kernel.back() = 1;
      p.dilations.back() = 1;
      out = (in - 1) / stride + 1;
      p.pads_begin.push_back(0);
      p.pads_end.push_back(0);
    } else {
      p.pads_begin.push_back(pad_begin);
      p.pads_end.push_back(pad_end);
    }
    p.out_spatial.push_back(out);
  }
  return p;
}

void Check(const SgemmKernel& kernel, const ConvParams& p, bool with_bias, std::mt19937& rng,
           runtime::ThreadPool* pool = nullptr, bool packed = false, bool relu = false) {
  const int64_t cg = p.in_channels / p.group;
  const std::vector<float> x = Random(p.batch * p.in_channels * Product(p.in_spatial), rng);
  const std::vector<float> w = Random(p.out_channels * cg * Product(p.kernel), rng);
  const std::vector<float> bias = Random(p.out_channels, rng);
  const int64_t y_count = p.batch * p.out_channels * Product(p.out_spatial);
  std::vector<float> expected(y_count), got(y_count, std::nanf(""));
  Scratch ref_scratch(reference::ConvScratchBytes(p));
  reference::Conv(p, x.data(), w.data(), with_bias ? bias.data() : nullptr, expected.data(), ref_scratch.get());
  reference::FusedActivationParams activation;
  if (relu) {
    activation.kind = reference::FusedActivationKind::kRelu;
    reference::ApplyFusedActivation(activation, expected.data(), y_count);
  }
  const int threads = pool != nullptr ? pool->size() : 1;
  const ConvGemmWeights packed_weights = PackConvGemmWeights(kernel, p, w.data());
  Scratch scratch(ConvGemmScratchBytes(kernel, p, packed, threads));
  ConvGemmArgs args;
  args.x = x.data();
  args.w = w.data();
  args.packed = packed ? &packed_weights : nullptr;
  args.bias = with_bias ? bias.data() : nullptr;
  args.activation = activation;
  args.y = got.data();
  ConvGemm(kernel, p, args, pool, scratch.get());
  const float tolerance = 1e-5f * std::sqrt(static_cast<float>(cg * Product(p.kernel)));
  for (int64_t i = 0; i < y_count; ++i) {
    ASSERT_NEAR(got[i], expected[i], tolerance) << kernel.name << " rank " << p.rank() << " group " << p.group
                                                << " threads " << threads << " packed " << packed << " relu "
                                                << relu << " element " << i;
  }
}

TEST(ConvGemmTest, RandomGeometriesMatchTheReference) {
  std::mt19937 rng(2024);
  for (const SgemmKernel* kernel : AvailableSgemmKernels()) {
    for (int trial = 0; trial < 120; ++trial) Check(*kernel, RandomGeometry(rng), trial % 2 == 0, rng);
  }
}

TEST(ConvGemmTest, PackedWeightsThreadsAndFusedReluMatchTheReference) {
  std::mt19937 rng(99);
  runtime::ThreadPool pool(3);
  for (const SgemmKernel* kernel : AvailableSgemmKernels()) {
    for (int trial = 0; trial < 120; ++trial) {
      Check(*kernel, RandomGeometry(rng), trial % 2 == 0, rng, trial % 3 == 0 ? nullptr : &pool, trial % 4 != 1,
            trial % 5 < 3);
    }
  }
}

// SqueezeNet-sized layers: enough rows and columns that the GEMM splits into several tasks, and
// column matrices built in several bands of output rows, the last one short.
TEST(ConvGemmTest, LargeLayersSplitAcrossThreadsMatchTheReference) {
  std::mt19937 rng(5);
  runtime::ThreadPool pool(2);
  ConvParams p;
  p.in_channels = 16;
  p.out_channels = 64;
  p.in_spatial = p.out_spatial = {27, 29};
  p.kernel = {3, 3};
  p.strides = p.dilations = {1, 1};
  p.pads_begin = p.pads_end = {1, 1};
  Check(BestSgemmKernel(), p, true, rng, &pool, true, true);
  // The column matrix (144 x 783 floats) is built in bands of output rows; two groups run one
  // per thread, each band by band.
  p.in_channels = 32;
  p.group = 2;
  Check(BestSgemmKernel(), p, true, rng, &pool, true, true);
  p.group = 1;
  p.kernel = {1, 1};
  p.pads_begin = p.pads_end = {0, 0};
  p.in_channels = 64;
  p.out_channels = 256;
  Check(BestSgemmKernel(), p, true, rng, &pool, true, false);
  p.kernel = {3, 3};
  p.strides = {2, 2};
  p.out_spatial = {13, 14};
  Check(BestSgemmKernel(), p, false, rng, &pool, false, true);
  // Column-matrix rows of 69 KB (576 x 30 floats): nine bands of three output rows, at least two
  // per thread, so each thread fills and multiplies whole bands of its own (the last task empty).
  p.in_channels = 64;
  p.out_channels = 16;
  p.in_spatial = p.out_spatial = {26, 30};
  p.strides = {1, 1};
  for (runtime::ThreadPool* threads : {&pool, static_cast<runtime::ThreadPool*>(nullptr)}) {
    Check(BestSgemmKernel(), p, true, rng, threads, true, true);
  }
}

TEST(ConvGemmTest, PointwiseReadsTheInputInPlace) {
  std::mt19937 rng(7);
  ConvParams p;
  p.batch = 2;
  p.in_channels = 19;
  p.out_channels = 23;
  p.in_spatial = p.out_spatial = {9, 7};
  p.kernel = p.strides = p.dilations = {1, 1};
  p.pads_begin = p.pads_end = {0, 0};
  for (const SgemmKernel* kernel : AvailableSgemmKernels()) Check(*kernel, p, true, rng);
}

// The 2-D im2col the sparse conv builds equals the reference's, bit for bit, on random strides,
// dilations and pads (including pads wider than the kernel reach).
TEST(ConvGemmTest, Im2Col2dMatchesTheReference) {
  std::mt19937 rng(23);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 200; ++trial) {
    ConvParams p;
    p.in_channels = pick(1, 3);
    p.out_channels = 1;
    for (int d = 0; d < 2; ++d) {
      const int64_t k = pick(1, 4), stride = pick(1, 3), dilation = pick(1, 2);
      const int64_t pad_begin = pick(0, 3), pad_end = pick(0, 3);
      const int64_t extent = (k - 1) * dilation + 1;
      const int64_t in = pick(1, 60);
      const int64_t out = (in + pad_begin + pad_end - extent) / stride + 1;
      if (out < 1) {
        --d;
        continue;
      }
      p.kernel.push_back(k);
      p.strides.push_back(stride);
      p.dilations.push_back(dilation);
      p.pads_begin.push_back(pad_begin);
      p.pads_end.push_back(pad_end);
      p.in_spatial.push_back(in);
      p.out_spatial.push_back(out);
    }
    std::vector<float> x(p.in_channels * p.in_spatial[0] * p.in_spatial[1]);
    for (float& v : x) v = static_cast<float>(pick(-100, 100));
    const size_t size = p.in_channels * p.kernel[0] * p.kernel[1] * p.out_spatial[0] * p.out_spatial[1];
    std::vector<float> want(size, -1.0f), got(size, -2.0f);
    reference::Im2Col(p, x.data(), p.in_channels, want.data());
    Im2Col2d(p, x.data(), p.in_channels, p.out_spatial[0] * p.out_spatial[1], got.data());
    ASSERT_EQ(got, want) << "trial " << trial;
  }
}

}  // namespace
}  // namespace kinglet::kernels
