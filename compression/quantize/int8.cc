#include "quantize/int8.h"

#include <algorithm>
#include <cmath>

namespace kinglet::compression::quantize {
namespace {

int32_t QuantizeValue(float v, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  const long q = std::lround(static_cast<double>(v) / scale) + zero_point;
  return static_cast<int32_t>(std::clamp<long>(q, qmin, qmax));
}

}  // namespace

Matrix Int8PerChannel::Dequantized() const {
  Matrix out(rows, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out(r, c) = Dequantize(r, c);
  }
  return out;
}

Result<Int8PerChannel> QuantizeInt8PerChannel(const Matrix& w, Int8Mode mode) {
  KINGLET_RETURN_IF_ERROR(CheckMatrix(w, "weight"));
  Int8PerChannel q;
  q.rows = w.rows;
  q.cols = w.cols;
  q.mode = mode;
  q.scales.assign(static_cast<size_t>(w.rows), 1.0f);
  q.zero_points.assign(static_cast<size_t>(w.rows), 0);
  q.values.assign(w.values.size(), 0);
  const bool symmetric = mode == Int8Mode::kSymmetric;
  const int32_t qmin = symmetric ? -127 : -128;
  for (int64_t r = 0; r < w.rows; ++r) {
    const float* row = w.row(r);
    float lo = 0.0f, hi = 0.0f;
    for (int64_t c = 0; c < w.cols; ++c) {
      lo = std::min(lo, row[c]);
      hi = std::max(hi, row[c]);
    }
    float scale = 1.0f;
    int32_t zp = 0;
    if (symmetric) {
      const float amax = std::max(-lo, hi);
      if (amax > 0.0f) scale = amax / 127.0f;
    } else if (hi > lo) {
      scale = (hi - lo) / 255.0f;
      zp = static_cast<int32_t>(
          std::clamp<long>(std::lround(-128.0 - static_cast<double>(lo) / scale), -128, 127));
    }
    // A denormal scale would turn v / scale into Inf; such a row is all (almost) zero anyway.
    if (!(scale >= 1e-30f)) scale = 1.0f;
    q.scales[static_cast<size_t>(r)] = scale;
    q.zero_points[static_cast<size_t>(r)] = zp;
    for (int64_t c = 0; c < w.cols; ++c) {
      q.values[static_cast<size_t>(r * w.cols + c)] =
          static_cast<int8_t>(QuantizeValue(row[c], scale, zp, qmin, 127));
    }
  }
  return q;
}

float NearestInt8GridValue(const Int8PerChannel& q, int64_t row, float value) {
  const float scale = q.scales[static_cast<size_t>(row)];
  const int32_t zp = q.zero_points[static_cast<size_t>(row)];
  const int32_t qmin = q.mode == Int8Mode::kSymmetric ? -127 : -128;
  return scale * static_cast<float>(QuantizeValue(value, scale, zp, qmin, 127) - zp);
}

}  // namespace kinglet::compression::quantize
