// Synthetic layers with known structure for the weight-math tests: correlated calibration inputs
// (few latent factors, uneven feature scales — like real activations) and Gaussian weights.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "quantize/hessian.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize::testing {

inline Matrix RandomGaussian(int64_t rows, int64_t cols, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, stddev);
  Matrix m(rows, cols);
  for (float& v : m.values) v = normal(rng);
  return m;
}

// X [n, d]: x = diag(scale) (A z + 0.2 e) + offset, z ~ N(0, I_{d/4}), so features are strongly
// correlated; per-feature scales are log-uniform in [0.2, 5] so |w| alone is a poor saliency.
inline Matrix CorrelatedInputs(int64_t n, int64_t d, uint32_t seed, float offset = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(std::log(0.2f), std::log(5.0f));
  const int64_t k = std::max<int64_t>(1, d / 4);
  Matrix a(d, k);
  for (float& v : a.values) v = normal(rng) / std::sqrt(static_cast<float>(k));
  std::vector<float> scale(static_cast<size_t>(d)), shift(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) {
    scale[static_cast<size_t>(j)] = std::exp(uniform(rng));
    shift[static_cast<size_t>(j)] = offset * normal(rng);
  }
  Matrix x(n, d);
  std::vector<float> z(static_cast<size_t>(k));
  for (int64_t s = 0; s < n; ++s) {
    for (float& v : z) v = normal(rng);
    for (int64_t j = 0; j < d; ++j) {
      float acc = 0.2f * normal(rng);
      for (int64_t t = 0; t < k; ++t) acc += a(j, t) * z[static_cast<size_t>(t)];
      x(s, j) = scale[static_cast<size_t>(j)] * acc + shift[static_cast<size_t>(j)];
    }
  }
  return x;
}

inline Matrix RowSlice(const Matrix& m, int64_t from, int64_t to) {
  Matrix t(to - from, m.cols);
  std::copy(m.values.begin() + from * m.cols, m.values.begin() + to * m.cols, t.values.begin());
  return t;
}

inline MatrixD HessianOf(const Matrix& x) {
  HessianAccumulator acc(x.cols);
  (void)acc.AddRows(x);
  return acc.Hessian();
}

// (1/n) sum_s ||(W - W') x_s||^2, computed directly from the samples (independent of H).
inline double OutputError(const Matrix& w, const Matrix& w_hat, const Matrix& x) {
  double total = 0.0;
  for (int64_t s = 0; s < x.rows; ++s) {
    const float* xs = x.row(s);
    for (int64_t r = 0; r < w.rows; ++r) {
      double y = 0.0;
      for (int64_t j = 0; j < w.cols; ++j) y += (static_cast<double>(w(r, j)) - w_hat(r, j)) * xs[j];
      total += y * y;
    }
  }
  return total / static_cast<double>(x.rows);
}

// ||W x||^2 mean: the scale that makes errors relative.
inline double OutputEnergy(const Matrix& w, const Matrix& x) {
  return OutputError(w, Matrix(w.rows, w.cols), x);
}

inline int64_t CountZeros(const Matrix& m) {
  int64_t z = 0;
  for (float v : m.values) z += v == 0.0f;
  return z;
}

}  // namespace kinglet::compression::quantize::testing
