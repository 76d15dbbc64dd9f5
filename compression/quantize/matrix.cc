#include "quantize/matrix.h"

#include <cassert>
#include <cmath>

namespace kinglet::compression::quantize {

Status CheckMatrix(const Matrix& m, const std::string& what) {
  if (m.rows < 0 || m.cols < 0 || static_cast<int64_t>(m.values.size()) != m.rows * m.cols) {
    return Status::InvalidArgument(what + ": matrix claims " + std::to_string(m.rows) + "x" +
                                   std::to_string(m.cols) + " but holds " + std::to_string(m.values.size()) +
                                   " values");
  }
  for (int64_t i = 0; i < m.size(); ++i) {
    if (!std::isfinite(m.values[static_cast<size_t>(i)])) {
      return Status::InvalidArgument(what + " (row " + std::to_string(i / m.cols) + ", col " +
                                     std::to_string(i % m.cols) + ") is " +
                                     (std::isnan(m.values[static_cast<size_t>(i)]) ? "NaN" : "infinite") +
                                     "; the model is corrupt or was exported mid-training");
    }
  }
  return Status::Ok();
}

Mask NonzeroMask(const Matrix& m) {
  Mask mask(m.rows, m.cols, 0);
  for (size_t i = 0; i < m.values.size(); ++i) mask.values[i] = m.values[i] != 0.0f ? 1 : 0;
  return mask;
}

void ApplyMask(const Mask& mask, Matrix* m) {
  assert(mask.rows == m->rows && mask.cols == m->cols);
  for (size_t i = 0; i < m->values.size(); ++i) {
    if (!mask.values[i]) m->values[i] = 0.0f;
  }
}

double Sparsity(const Matrix& m) {
  if (m.values.empty()) return 0.0;
  int64_t zeros = 0;
  for (float v : m.values) zeros += v == 0.0f;
  return static_cast<double>(zeros) / static_cast<double>(m.values.size());
}

}  // namespace kinglet::compression::quantize
