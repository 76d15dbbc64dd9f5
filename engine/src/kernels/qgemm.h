// Int8 GEMM for layers whose weights an artifact stores as int8 (dynamic quantization, as ONNX
// Runtime's MatMulInteger path): at load the weights B [K x N] are quantized symmetrically per
// output column (scale_b[n] = max|B[:, n]| / 127) and packed; at run time each row of A is
// quantized symmetrically (scale_a[i] = max|A[i, :]| / 127), the products are summed exactly in
// int32, and C = scale_a[i] * scale_b[n] * sum + bias[n], then the activation. Weights take a
// quarter of float32's memory traffic, which is what bounds batch-1 fully connected layers.
//
// The tile kernel is chosen by CPU. Every one takes K four values at a time (a "quad"): AVX2
// multiplies |a| (unsigned) by w carrying a's sign (vpsignb) with vpmaddubsw, whose int16 pair
// sums cannot saturate because both operands stay within +-127, then widens with vpmaddwd —
// 32 multiply-adds in four instructions; AVX-512 VNNI CPUs do the same products with vpdpbusd
// (two instructions, on 256-bit registers); aarch64 uses sdot (16 per instruction) on ARMv8.2 cores
// with the dot-product extension and widening multiplies on ARMv8.0 (every 64-bit phone core);
// the portable kernel is the specification every tile is tested against and the fallback
// elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/reference/fused_activation.h"
#include "kernels/sgemm.h"

namespace kinglet::runtime {
class ThreadPool;
}

namespace kinglet::kernels {

// B packed for the int8 tile: blocks of kQGemmCols columns, inside each K/4 quads of rows laid
// out [quad][column][4] (K padded to a multiple of 4, columns past N zero): 32 bytes per step.
constexpr int kQGemmCols = 8;
constexpr int kQGemmDepth = 4;
// Rows of A one tile call takes at most.
constexpr int kQGemmTileRows = 4;
// Longest K whose int32 sums cannot overflow: 2^17 * 127 * 127 < 2^31.
constexpr int64_t kQGemmMaxK = int64_t{1} << 17;

struct QuantizedMatrix {
  std::vector<int8_t> packed;
  std::vector<float> scales;  // per column of B; NaN for a column holding a NaN or an infinity
  int64_t k = 0;
  int64_t n = 0;
};

QuantizedMatrix QuantizeSgemmB(int64_t k, int64_t n, MatrixView b);

// Symmetric quantization of `count` values: q = round(v / scale) with scale = max|v| / 127,
// returned. All zeros (or values too small to scale) give scale 0; a NaN or an infinity among
// them gives NaN, and q is all zeros in both cases.
float QuantizeSymmetric(const float* v, int64_t count, int8_t* q);

// Bytes of one quantized row of A with K = k: 4 * quads values then as many magnitudes (see
// QGemmTileFn), K padded with zeros to whole quads.
int64_t QGemmRowBytes(int64_t k);

// Quantizes one row of A (QuantizeSymmetric) into that layout at q; returns its scale.
float QuantizeRowOfA(const float* a, int64_t k, int8_t* q);

// The four int8 values of quad q of a row of A as one 32-bit word, for the tiles to broadcast.
// Always inlined: the tiles' files are compiled for different ISAs, and an out-of-line copy from
// one of them could be the one the linker keeps for all.
[[gnu::always_inline]] inline int32_t QuadAt(const int8_t* row, int64_t q) {
  int32_t quad;
  std::memcpy(&quad, row + q * kQGemmDepth, sizeof(quad));
  return quad;
}

// acc[r][j] (int32, kQGemmCols per row) = sum over quads of row r of A times the block, for
// `rows` rows of A, `a_stride` bytes apart. Each row is 4 * quads int8 values (within +-127)
// followed by their 4 * quads magnitudes (the x86 tiles' unsigned operand).
using QGemmTileFn = void (*)(int64_t quads, const int8_t* qa, int64_t a_stride, int rows, const int8_t* block,
                             int32_t* acc);

// Two blocks at once — 16 columns, the second block `block_stride` bytes after the first (0: the
// same block twice), acc rows 16 wide — with B's bytes unsigned, u = b + 128: acc = sum of a * u,
// and the caller subtracts 128 * sum of a (a constant per row when A is the weights). For the
// int8 convolution, whose image is stored with a zero point of 128: each quad of A, broadcast once,
// feeds twice the sums, the tile has eight independent chains, and it needs neither A's magnitudes
// nor a sign instruction. Only where an unsigned-by-signed dot product cannot saturate (AVX-512
// VNNI's vpdpbusd). The sums wrap modulo 2^32; the difference is exact up to K = kQGemmMaxK.
using QGemmWideTileFn = void (*)(int64_t quads, const int8_t* qa, int64_t a_stride, int rows,
                                 const int8_t* block, int64_t block_stride, int32_t* acc);

struct QGemmKernel {
  const char* name;
  QGemmTileFn tile;
  QGemmWideTileFn wide_tile_unsigned_b = nullptr;  // null where the ISA has none (but portable)
  // Whether the int8 convolution on this kernel beats the float one (im2col and the GEMM) on
  // layers with enough channels and taps (QConvPays). gemm_bench, AVX-512 VNNI: 0.58-0.69 of
  // float's time; AVX2: 0.84-1.22, so it is not set there. Unset on aarch64 until measured on a
  // phone (qemu cannot time it).
  bool conv_beats_float = false;
};

const QGemmKernel& PortableQGemmKernel();
const QGemmKernel& BestQGemmKernel();
std::vector<const QGemmKernel*> AvailableQGemmKernels();

struct QGemmProblem {
  int64_t m = 0;
  const float* a = nullptr;  // [m x k], row stride lda
  int64_t lda = 0;
  const QuantizedMatrix* b = nullptr;
  float* c = nullptr;  // [m x n], row stride ldc
  int64_t ldc = 0;
  const float* col_bias = nullptr;  // [n] or null
  reference::FusedActivationParams activation;
};

// Scratch for the quantized rows of A (the whole of A, shared by the threads).
size_t QGemmScratchBytes(int64_t m, int64_t k);

void QGemmRun(const QGemmKernel& kernel, const QGemmProblem& problem, runtime::ThreadPool* pool, void* scratch);

}  // namespace kinglet::kernels
