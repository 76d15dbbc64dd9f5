// GEMM micro-benchmark: GFLOP/s of every SGEMM tile this CPU runs, through the packed driver,
// on large square shapes and on the shapes SqueezeNet's convolutions produce, against this CPU's
// theoretical FP32 peak measured in the same run (cores x FMA ports x lanes x 2 x clock). Then
// the sparse-weight kernels against the best dense tile (weights packed once, as the engine does)
// on LeNet-300-100's first layer at batch 1 and on conv layers over their im2col matrix, pruned
// to several densities: the ratios are where the sparse paths' density limits come from. Last,
// every int8 tile against the best float tile on fully connected shapes (both with the weights
// packed once, as the engine does), and the int8 convolution with every int8 tile against the
// float convolution the engine would run for the same layer (Winograd for 3x3 stride-1 convs of
// 16+ channels, else im2col and the GEMM) on LeNet-5's, SqueezeNet's, ResNet-18's and
// MobileNetV2's conv shapes.
//
//   gemm_bench [--seconds S]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/conv_gemm.h"
#include "kernels/cpu_features.h"
#include "kernels/qconv.h"
#include "kernels/qgemm.h"
#include "kernels/sgemm.h"
#include "kernels/sparse_gemm.h"
#include "kernels/winograd_conv_3x3.h"

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The clock the core really runs at: a chain of dependent adds retires one per cycle on every
// x86-64 and ARMv8 core, so adds / second is the frequency (turbo included). Eight per loop
// turn keep the loop's own branch off the critical path.
double MeasureClockHz() {
  constexpr int64_t kIterations = 50'000'000;
  double best = 0.0;
  for (int round = 0; round < 3; ++round) {
    uint64_t x = 1;
    const Clock::time_point start = Clock::now();
    for (int64_t i = 0; i < kIterations; ++i) {
#if defined(__aarch64__)
      asm volatile("add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                   "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1"
                   : "+r"(x));
#else
      asm volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                   "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                   : "+r"(x));
#endif
    }
    best = std::max(best, 8.0 * kIterations / SecondsSince(start));
  }
  return best;
}

struct Shape {
  const char* what;
  int64_t m, n, k;
};

double MeasureGflops(const kinglet::kernels::SgemmKernel& kernel, const Shape& s, double seconds) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  const size_t scratch_bytes = kinglet::kernels::SgemmScratchBytes(kernel, s.m, s.n, s.k);
  void* scratch = std::aligned_alloc(64, scratch_bytes);
  auto run = [&] {
    kinglet::kernels::Sgemm(kernel, s.m, s.n, s.k, 1.0f, {a.data(), s.k, 1}, {b.data(), s.n, 1}, c.data(), s.n,
                            false, scratch);
  };
  run();
  int64_t runs = 0;
  const Clock::time_point start = Clock::now();
  double best = 1e30;
  while (SecondsSince(start) < seconds || runs < 3) {
    const Clock::time_point t = Clock::now();
    run();
    best = std::min(best, SecondsSince(t));
    ++runs;
  }
  std::free(scratch);
  return 2.0 * s.m * s.n * s.k / best / 1e9;
}

// Best-of time of `run` over about `seconds`.
template <typename Fn>
double BestSeconds(Fn&& run, double seconds) {
  run();
  double best = 1e30;
  int64_t runs = 0;
  const Clock::time_point start = Clock::now();
  while (SecondsSince(start) < seconds || runs < 3) {
    const Clock::time_point t = Clock::now();
    run();
    best = std::min(best, SecondsSince(t));
    ++runs;
  }
  return best;
}

// The first 64-byte boundary in `buffer` (allocated 64 bytes larger than the scratch it holds).
void* Aligned64(std::vector<unsigned char>& buffer) {
  return buffer.data() + (64 - reinterpret_cast<uintptr_t>(buffer.data()) % 64) % 64;
}

// Best-of seconds of C [m x n] = A [m x k] * B by the best float tile, B (a fully connected
// layer's W^T) packed once, as the engine does.
double PackedFloatSeconds(const float* a, int64_t m, int64_t n, int64_t k, kinglet::kernels::MatrixView b,
                          float* c, double seconds) {
  namespace kk = kinglet::kernels;
  const kk::SgemmKernel& kernel = kk::BestSgemmKernel();
  const kk::PackedMatrix packed = kk::PackSgemmB(kernel, k, n, b);
  kk::SgemmProblem dense;
  dense.m = m;
  dense.n = n;
  dense.k = k;
  dense.a = {a, k, 1};
  dense.packed_b = &packed;
  dense.c = c;
  dense.ldc = n;
  std::vector<unsigned char> scratch(kk::SgemmThreadScratchBytes(kernel, dense, 1) + 64);
  void* aligned = Aligned64(scratch);
  return BestSeconds([&] { kk::SgemmRun(kernel, dense, nullptr, aligned); }, seconds);
}

// Microseconds of y[1 x n] = x[1 x k] * W^T, W [n x k] with `density` of its weights kept, by the
// sparse kernel and by the best dense tile with W packed once.
void SparseAgainstDense(int64_t n, int64_t k, double density, double seconds) {
  namespace kk = kinglet::kernels;
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::bernoulli_distribution keep(density);
  std::vector<float> x(k), w(n * k), y(n);
  for (float& v : x) v = dist(rng);
  for (float& v : w) v = keep(rng) ? dist(rng) : 0.0f;
  const kk::MatrixView b{w.data(), 1, k};  // W^T as a view
  const double dense_s = PackedFloatSeconds(x.data(), 1, n, k, b, y.data(), seconds);
  const kk::SparseColumns sparse = kk::CompressSparseB(k, n, b);
  kk::SparseGemmProblem sp;
  sp.m = 1;
  sp.a = x.data();
  sp.lda = k;
  sp.b = &sparse;
  sp.dense_b = b;
  sp.c = y.data();
  sp.ldc = n;
  const double sparse_s = BestSeconds([&] { kk::SparseGemmRun(sp, nullptr); }, seconds);
  std::printf("%-30s %7.0f%% %10.2f %10.2f %9.2f\n", "lenet300 fc1 batch 1 (300x784)", 100.0 * density,
              sparse_s * 1e6, dense_s * 1e6, sparse_s / dense_s);
}

// Microseconds of C [m x n] = W [m x k] * col [k x n] (a conv over its im2col matrix), W with
// `density` of its weights kept, by the sparse-rows kernel and by the best dense tile with W
// packed once.
void SparseRowsAgainstDense(const char* what, int64_t m, int64_t k, int64_t n, double density,
                            double seconds) {
  namespace kk = kinglet::kernels;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::bernoulli_distribution keep(density);
  std::vector<float> w(m * k), col(k * n), c(m * n);
  for (float& v : w) v = keep(rng) ? dist(rng) : 0.0f;
  for (float& v : col) v = dist(rng);
  const kk::SgemmKernel& kernel = kk::BestSgemmKernel();
  const kk::PackedMatrix packed = kk::PackSgemmA(kernel, m, k, 1.0f, {w.data(), k, 1});
  kk::SgemmProblem dense;
  dense.m = m;
  dense.n = n;
  dense.k = k;
  dense.packed_a = &packed;
  dense.b = {col.data(), n, 1};
  dense.c = c.data();
  dense.ldc = n;
  std::vector<unsigned char> scratch(kk::SgemmThreadScratchBytes(kernel, dense, 1) + 64);
  void* aligned = Aligned64(scratch);
  const double dense_s = BestSeconds([&] { kk::SgemmRun(kernel, dense, nullptr, aligned); }, seconds);
  const kk::SparseRows sparse = kk::CompressSparseA(m, k, {w.data(), k, 1});
  kk::SparseRowsProblem sp;
  sp.a = &sparse;
  sp.b = col.data();
  sp.ldb = n;
  sp.n = n;
  sp.c = c.data();
  sp.ldc = n;
  const double sparse_s = BestSeconds([&] { kk::SparseRowsGemmRun(sp, nullptr); }, seconds);
  std::printf("%-30s %7.0f%% %10.2f %10.2f %9.2f\n", what, 100.0 * density, sparse_s * 1e6, dense_s * 1e6,
              sparse_s / dense_s);
}

// Microseconds of C [m x n] = A [m x k] * W^T (a fully connected layer, W [n x k]) by every int8
// tile, A quantized per call, against the best float tile with W packed once.
void Int8AgainstFloat(const char* what, int64_t m, int64_t n, int64_t k, double seconds) {
  namespace kk = kinglet::kernels;
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(m * k), w(n * k), c(m * n);
  for (float& v : a) v = dist(rng);
  for (float& v : w) v = dist(rng);
  const kk::MatrixView b{w.data(), 1, k};  // W^T as a view
  const double float_s = PackedFloatSeconds(a.data(), m, n, k, b, c.data(), seconds);
  std::vector<unsigned char> scratch(kk::QGemmScratchBytes(m, k) + 64);
  void* aligned = Aligned64(scratch);
  const kk::QuantizedMatrix quantized = kk::QuantizeSgemmB(k, n, b);
  kk::QGemmProblem q;
  q.m = m;
  q.a = a.data();
  q.lda = k;
  q.b = &quantized;
  q.c = c.data();
  q.ldc = n;
  for (const kk::QGemmKernel* int8 : kk::AvailableQGemmKernels()) {
    const double int8_s = BestSeconds([&] { kk::QGemmRun(*int8, q, nullptr, aligned); }, seconds);
    std::printf("%-30s %6lld %6lld %6lld  %-28s %9.2f %9.2f %7.2f\n", what, static_cast<long long>(m),
                static_cast<long long>(n), static_cast<long long>(k), int8->name, int8_s * 1e6, float_s * 1e6,
                int8_s / float_s);
  }
}

// A single-image 2-D conv: `in` x `in` planes, square kernel, pads on every side.
kinglet::kernels::reference::ConvParams Conv2d(int64_t c, int64_t m, int64_t in, int64_t kernel,
                                               int64_t stride, int64_t pad) {
  kinglet::kernels::reference::ConvParams p;
  p.in_channels = c;
  p.out_channels = m;
  const int64_t out = (in + 2 * pad - kernel) / stride + 1;
  p.in_spatial = {in, in};
  p.out_spatial = {out, out};
  p.kernel = {kernel, kernel};
  p.strides = {stride, stride};
  p.dilations = {1, 1};
  p.pads_begin = {pad, pad};
  p.pads_end = {pad, pad};
  return p;
}

// Microseconds of one image through the int8 convolution, by every int8 tile, against the float
// convolution the engine picks for the layer (ops/conv.cc), weights prepared once for both.
void Int8ConvAgainstFloat(const char* what, const kinglet::kernels::reference::ConvParams& p,
                          double seconds) {
  namespace kk = kinglet::kernels;
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const int64_t patch = p.in_channels * p.kernel[0] * p.kernel[1];
  std::vector<float> x(p.in_channels * p.in_spatial[0] * p.in_spatial[1]), w(p.out_channels * patch);
  std::vector<float> y(p.out_channels * p.out_spatial[0] * p.out_spatial[1]);
  for (float& v : x) v = dist(rng);
  for (float& v : w) v = dist(rng);
  const kk::SgemmKernel& kernel = kk::BestSgemmKernel();
  const bool winograd = kk::WinogradConv3x3Pays(p);
  double float_s = 0.0;
  if (winograd) {
    const kk::WinogradWeights ww =
        kk::TransformWinogradWeights(kernel, p, w.data(), kk::ChooseWinogradTile(kernel, p));
    std::vector<unsigned char> scratch(kk::WinogradConv3x3ScratchBytes(kernel, p, ww, 1) + 64);
    void* aligned = Aligned64(scratch);
    float_s = BestSeconds(
        [&] { kk::WinogradConv3x3(kernel, p, ww, x.data(), nullptr, {}, y.data(), nullptr, aligned); },
        seconds);
  } else {
    const kk::ConvGemmWeights packed = kk::PackConvGemmWeights(kernel, p, w.data());
    kk::ConvGemmArgs args;
    args.x = x.data();
    args.packed = &packed;
    args.y = y.data();
    std::vector<unsigned char> scratch(kk::ConvGemmScratchBytes(kernel, p, true, 1) + 64);
    void* aligned = Aligned64(scratch);
    float_s = BestSeconds([&] { kk::ConvGemm(kernel, p, args, nullptr, aligned); }, seconds);
  }
  const kk::QConvWeights qw = kk::QuantizeConvWeights(p, w.data());
  std::vector<unsigned char> scratch(kk::QConvScratchBytes(p, 1) + 64);
  void* aligned = Aligned64(scratch);
  for (const kk::QGemmKernel* int8 : kk::AvailableQGemmKernels()) {
    const double int8_s = BestSeconds(
        [&] { kk::QConv(*int8, p, qw, x.data(), nullptr, {}, y.data(), nullptr, aligned); }, seconds);
    std::printf("%-34s %-28s %9.2f %9.2f %-9s %7.2f\n", what, int8->name, int8_s * 1e6, float_s * 1e6,
                winograd ? "winograd" : "im2col", int8_s / float_s);
  }
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 0.5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: gemm_bench [--seconds S]\n");
      return 2;
    }
  }
  const kinglet::kernels::CpuFeatures& cpu = kinglet::kernels::DetectCpuFeatures();
  const double hz = MeasureClockHz();
  // Lanes per FMA port per cycle: AVX-512 counts 16 only where the pipes are 512 bits wide.
  const int lanes = cpu.avx512_full_width ? 16 : cpu.avx2_fma ? 8 : 4;
  constexpr int kFmaPorts = 2;  // two FMA pipes: Zen 1-4, Skylake and later, Cortex-A76/X1 (NEON: 2 x 4 lanes)
  const double peak = kFmaPorts * lanes * 2.0 * hz / 1e9;
  std::printf("clock %.2f GHz (measured), FP32 peak per core %.1f GFLOP/s = %d FMA ports x %d lanes x 2 x clock\n",
              hz / 1e9, peak, kFmaPorts, lanes);

  const Shape shapes[] = {
      {"square", 256, 256, 256},
      {"square", 512, 512, 512},
      {"square", 1024, 1024, 1024},
      {"squeezenet conv1 3x3/2 (im2col)", 64, 12321, 27},
      {"squeezenet fire2 squeeze 1x1", 16, 3025, 64},
      {"squeezenet fire2 expand 3x3", 64, 3025, 144},
      {"squeezenet fire6 expand 3x3", 192, 729, 432},
      {"squeezenet fire9 expand 3x3", 256, 169, 576},
      {"mobilenet_v2 7x7 expand 1x1", 960, 49, 160},
      {"mobilenet_v2 7x7 project 1x1", 320, 49, 960},
      {"mobilenet_v2 7x7 last 1x1", 1280, 49, 320},
      {"mobilenet_v2 14x14 expand 1x1", 576, 196, 96},
      {"mobilenet_v2 14x14 project 1x1", 96, 196, 576},
      {"mobilenet_v2 112x112 1x1", 16, 12544, 32},
      {"lenet300 fc1 batch 1", 1, 300, 784},
  };
  std::printf("%-30s %6s %6s %6s  %-16s %9s %8s\n", "shape", "m", "n", "k", "kernel", "GFLOP/s", "of peak");
  for (const Shape& s : shapes) {
    for (const kinglet::kernels::SgemmKernel* kernel : kinglet::kernels::AvailableSgemmKernels()) {
      const double gflops = MeasureGflops(*kernel, s, seconds);
      std::printf("%-30s %6lld %6lld %6lld  %-16s %9.1f %7.1f%%\n", s.what, static_cast<long long>(s.m),
                  static_cast<long long>(s.n), static_cast<long long>(s.k), kernel->name, gflops,
                  100.0 * gflops / peak);
    }
  }
  std::printf("\n%-30s %8s %10s %10s %9s\n", "sparse weights", "density", "sparse us", "dense us", "ratio");
  for (double density : {0.05, 0.1, 0.2, 0.25, 0.3, 0.5}) SparseAgainstDense(300, 784, density, seconds);
  for (double density : {0.05, 0.1, 0.2, 0.25, 0.3, 0.5}) {
    SparseRowsAgainstDense("squeezenet fire4 3x3 (128x288x729)", 128, 288, 729, density, seconds);
  }
  for (double density : {0.1, 0.25})
    SparseRowsAgainstDense("lenet5 conv2 (50x500x64)", 50, 500, 64, density, seconds);
  std::printf("\n%-30s %6s %6s %6s  %-28s %9s %9s %7s\n", "int8 weights", "m", "n", "k", "int8 tile",
              "int8 us", "float us", "ratio");
  Int8AgainstFloat("lenet300 fc1 batch 1", 1, 300, 784, seconds);
  Int8AgainstFloat("lenet300 fc2 batch 1", 1, 100, 300, seconds);
  Int8AgainstFloat("mobilenet_v2 classifier", 1, 1000, 1280, seconds);
  Int8AgainstFloat("lenet300 fc1 batch 16", 16, 300, 784, seconds);
  Int8AgainstFloat("fully connected batch 64", 64, 256, 1024, seconds);
  std::printf("\n%-34s %-28s %9s %9s %-9s %7s\n", "int8 convolution (one image)", "int8 tile", "int8 us",
              "float us", "float by", "ratio");
  Int8ConvAgainstFloat("lenet5 conv1 1->20 5x5 28x28", Conv2d(1, 20, 28, 5, 1, 0), seconds);
  Int8ConvAgainstFloat("lenet5 conv2 20->50 5x5 12x12", Conv2d(20, 50, 12, 5, 1, 0), seconds);
  Int8ConvAgainstFloat("squeezenet conv1 3->64 3x3/2 224", Conv2d(3, 64, 224, 3, 2, 0), seconds);
  Int8ConvAgainstFloat("squeezenet fire2 squeeze 1x1 55x55", Conv2d(64, 16, 55, 1, 1, 0), seconds);
  Int8ConvAgainstFloat("squeezenet fire2 expand 3x3 55x55", Conv2d(16, 64, 55, 3, 1, 1), seconds);
  Int8ConvAgainstFloat("squeezenet fire9 expand 3x3 13x13", Conv2d(64, 256, 13, 3, 1, 1), seconds);
  Int8ConvAgainstFloat("resnet18 layer1 3x3 64 56x56", Conv2d(64, 64, 56, 3, 1, 1), seconds);
  Int8ConvAgainstFloat("resnet18 layer2 3x3/2 64->128", Conv2d(64, 128, 56, 3, 2, 1), seconds);
  Int8ConvAgainstFloat("mobilenet_v2 14x14 expand 1x1", Conv2d(96, 576, 14, 1, 1, 0), seconds);
  return 0;
}
