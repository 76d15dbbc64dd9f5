#include "quantize/kmeans.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace kinglet::compression::quantize {
namespace {

// The kept weights as sorted distinct values with per-value prefix sums of importance,
// importance * value, count and value, so each Lloyd step is O(k log m) whatever the layer size.
struct SortedValues {
  std::vector<double> value;            // m distinct values, ascending
  std::vector<double> pw, pwx, pc, px;  // prefix sums, m + 1 entries
  size_t size() const { return value.size(); }
};

SortedValues Collect(const Matrix& w, const Matrix* importance) {
  std::vector<std::pair<float, double>> kept;
  kept.reserve(w.values.size());
  for (size_t i = 0; i < w.values.size(); ++i) {
    if (w.values[i] == 0.0f) continue;
    kept.emplace_back(w.values[i], importance ? static_cast<double>(importance->values[i]) : 1.0);
  }
  std::sort(kept.begin(), kept.end());
  SortedValues s;
  s.pw.push_back(0.0);
  s.pwx.push_back(0.0);
  s.pc.push_back(0.0);
  s.px.push_back(0.0);
  for (size_t i = 0; i < kept.size();) {
    const double v = kept[i].first;
    double wsum = 0.0, count = 0.0;
    for (; i < kept.size() && kept[i].first == v; ++i) {
      wsum += kept[i].second;
      count += 1.0;
    }
    s.value.push_back(v);
    s.pw.push_back(s.pw.back() + wsum);
    s.pwx.push_back(s.pwx.back() + wsum * v);
    s.pc.push_back(s.pc.back() + count);
    s.px.push_back(s.px.back() + count * v);
  }
  return s;
}

std::vector<double> InitialCentroids(const SortedValues& s, int k, KMeansInit init) {
  const size_t m = s.size();
  std::vector<double> c(static_cast<size_t>(k));
  if (init == KMeansInit::kLinear) {
    const double lo = s.value.front(), hi = s.value.back();
    for (int j = 0; j < k; ++j) c[static_cast<size_t>(j)] = lo + (hi - lo) * j / (k - 1);
    return c;
  }
  // Quantiles of the importance-weighted CDF, forced onto strictly increasing distinct values
  // (m > k here) so no two centroids start equal. Falls back to counts if importance is all zero.
  const bool weighted = s.pw.back() > 0.0;
  const std::vector<double>& cdf = weighted ? s.pw : s.pc;
  size_t prev = 0;
  for (int j = 0; j < k; ++j) {
    const double target = (j + 0.5) / k * cdf.back();
    size_t i = static_cast<size_t>(std::lower_bound(cdf.begin() + 1, cdf.end(), target) - cdf.begin()) - 1;
    if (j > 0) i = std::max(i, prev + 1);
    i = std::min(i, m - static_cast<size_t>(k - j));
    c[static_cast<size_t>(j)] = s.value[i];
    prev = i;
  }
  return c;
}

}  // namespace

int NearestCentroid(const std::vector<float>& c, float v) {
  if (c.empty()) return -1;
  const auto it = std::lower_bound(c.begin(), c.end(), v);
  if (it == c.begin()) return 0;
  if (it == c.end()) return static_cast<int>(c.size()) - 1;
  const int hi = static_cast<int>(it - c.begin());
  // Ties (v exactly halfway) go to the lower centroid, as in the Lloyd boundaries.
  return (static_cast<double>(*it) - v) < (static_cast<double>(v) - c[static_cast<size_t>(hi - 1)]) ? hi
                                                                                                    : hi - 1;
}

Matrix KMeansCodebook::Decode() const {
  Matrix out(rows, cols, 0.0f);
  for (size_t i = 0; i < indices.size() && i < out.values.size(); ++i) {
    if (indices[i] != kPrunedIndex) out.values[i] = centroids[static_cast<size_t>(indices[i])];
  }
  return out;
}

Result<KMeansCodebook> EncodeWithCodebook(const Matrix& w, std::vector<float> sorted_centroids) {
  KINGLET_RETURN_IF_ERROR(CheckMatrix(w, "weight"));
  if (sorted_centroids.size() > 256) {
    return Status::InvalidArgument("codebook has " + std::to_string(sorted_centroids.size()) +
                                   " centroids; n-bit weight sharing allows at most 256");
  }
  for (size_t i = 1; i < sorted_centroids.size(); ++i) {
    if (!(sorted_centroids[i - 1] < sorted_centroids[i])) {
      return Status::InvalidArgument("codebook centroids must be strictly increasing (index " +
                                     std::to_string(i) + ")");
    }
  }
  KMeansCodebook book;
  book.rows = w.rows;
  book.cols = w.cols;
  book.converged = true;
  book.centroids = std::move(sorted_centroids);
  book.indices.assign(w.values.size(), kPrunedIndex);
  for (size_t i = 0; i < w.values.size(); ++i) {
    if (w.values[i] == 0.0f) continue;
    if (book.centroids.empty())
      return Status::InvalidArgument("empty codebook for a weight with nonzero values");
    book.indices[i] = static_cast<int16_t>(NearestCentroid(book.centroids, w.values[i]));
  }
  return book;
}

Matrix HessianDiagonalImportance(const MatrixD& h, int64_t rows) {
  Matrix imp(rows, h.cols, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < h.cols; ++j) imp(r, j) = static_cast<float>(std::max(0.0, h(j, j)));
  }
  return imp;
}

Result<KMeansCodebook> KMeansQuantize(const Matrix& w, const KMeansOptions& options,
                                      const Matrix* importance) {
  KINGLET_RETURN_IF_ERROR(CheckMatrix(w, "weight"));
  if (options.bits < 1 || options.bits > 8) {
    return Status::InvalidArgument("k-means weight sharing supports 1..8 bits, got " +
                                   std::to_string(options.bits));
  }
  if (options.max_iterations < 0) return Status::InvalidArgument("k-means max_iterations must be >= 0");
  if (importance) {
    KINGLET_RETURN_IF_ERROR(CheckMatrix(*importance, "k-means importance"));
    if (importance->rows != w.rows || importance->cols != w.cols) {
      return Status::InvalidArgument("k-means importance is " + std::to_string(importance->rows) + "x" +
                                     std::to_string(importance->cols) + " but the weight is " +
                                     std::to_string(w.rows) + "x" + std::to_string(w.cols));
    }
    for (float v : importance->values) {
      if (v < 0.0f)
        return Status::InvalidArgument("k-means importance must be >= 0, found " + std::to_string(v));
    }
  }

  KMeansCodebook book;
  book.rows = w.rows;
  book.cols = w.cols;
  const SortedValues s = Collect(w, importance);
  const int k = 1 << options.bits;
  const size_t m = s.size();

  std::vector<double> c;
  if (m <= static_cast<size_t>(k)) {
    c = s.value;  // every distinct value gets its own centroid: exact
    book.converged = true;
  } else {
    c = InitialCentroids(s, k, options.init);
    // bound[j] = first sorted index of cluster j + 1; cluster j is [bound[j-1], bound[j]).
    std::vector<size_t> bound(static_cast<size_t>(k), m), next(static_cast<size_t>(k), m);
    for (int it = 0;; ++it) {
      for (int j = 0; j + 1 < k; ++j) {
        const double mid = 0.5 * (c[static_cast<size_t>(j)] + c[static_cast<size_t>(j + 1)]);
        next[static_cast<size_t>(j)] =
            static_cast<size_t>(std::upper_bound(s.value.begin(), s.value.end(), mid) - s.value.begin());
      }
      next[static_cast<size_t>(k - 1)] = m;
      if (it > 0 && next == bound) {
        book.converged = true;
        break;
      }
      bound.swap(next);
      if (it == options.max_iterations) break;  // assigned to the current centroids, not converged
      book.iterations = it + 1;
      size_t lo = 0;
      for (int j = 0; j < k; ++j) {
        const size_t hi = bound[static_cast<size_t>(j)];
        const double wsum = s.pw[hi] - s.pw[lo];
        if (wsum > 0.0) {
          c[static_cast<size_t>(j)] = (s.pwx[hi] - s.pwx[lo]) / wsum;
        } else if (hi > lo) {  // members, all of importance 0: plain mean keeps them represented
          c[static_cast<size_t>(j)] = (s.px[hi] - s.px[lo]) / (s.pc[hi] - s.pc[lo]);
        }  // empty: the centroid stays put (it lies between its neighbours, so order is kept)
        lo = hi;
      }
    }
    // Drop empty clusters: a centroid no weight maps to costs an index value and buys nothing.
    std::vector<double> used;
    size_t lo = 0;
    for (int j = 0; j < k; ++j) {
      const size_t hi = bound[static_cast<size_t>(j)];
      if (hi > lo) used.push_back(c[static_cast<size_t>(j)]);
      lo = hi;
    }
    c.swap(used);
  }
  for (double v : c) {
    const float f = static_cast<float>(v);
    if (book.centroids.empty() || f > book.centroids.back()) book.centroids.push_back(f);
  }
  book.indices.assign(w.values.size(), kPrunedIndex);
  for (size_t i = 0; i < w.values.size(); ++i) {
    if (w.values[i] != 0.0f)
      book.indices[i] = static_cast<int16_t>(NearestCentroid(book.centroids, w.values[i]));
  }
  return book;
}

}  // namespace kinglet::compression::quantize
