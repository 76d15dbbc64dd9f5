// Linear int8 weight quantization per output channel (one scale, and zero point, per row of W),
// as TFLite's per-channel scheme (Krishnamoorthi 2018, "Quantizing deep convolutional networks
// for efficient inference", Sec. 2): real = scale * (q - zero_point).
#pragma once

#include <cstdint>
#include <vector>

#include "kinglet/status.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize {

enum class Int8Mode {
  // q in [-127, 127], zero_point 0, scale = max|w| / 127: the kernel skips zero-point terms;
  // -128 is unused so that -q never overflows.
  kSymmetric,
  // q in [-128, 127] over [min(w, 0), max(w, 0)]: one more bit of resolution for one-sided rows.
  // The range always contains 0 and the zero point is an integer, so 0 (a pruned weight) is exact.
  kAsymmetric,
};

struct Int8PerChannel {
  int64_t rows = 0;
  int64_t cols = 0;
  Int8Mode mode = Int8Mode::kSymmetric;
  std::vector<float> scales;         // rows; > 0 (1 for an all-zero row)
  std::vector<int32_t> zero_points;  // rows; 0 when symmetric; in [-128, 127]
  std::vector<int8_t> values;        // rows * cols, row-major

  float Dequantize(int64_t r, int64_t c) const {
    return scales[static_cast<size_t>(r)] * static_cast<float>(values[static_cast<size_t>(r * cols + c)] -
                                                               zero_points[static_cast<size_t>(r)]);
  }
  Matrix Dequantized() const;
};

// Round-to-nearest per channel; |w - dequant(q)| <= scale / 2 for every weight, zeros stay exact.
Result<Int8PerChannel> QuantizeInt8PerChannel(const Matrix& w, Int8Mode mode);

// Nearest value on row r's grid of `q` (same scale/zero point), clamped to the int8 range: the
// quantizer GPTQ-style error feedback needs once the grid is fixed from the original weights.
float NearestInt8GridValue(const Int8PerChannel& q, int64_t row, float value);

}  // namespace kinglet::compression::quantize
