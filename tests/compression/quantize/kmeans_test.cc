#include "quantize/kmeans.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "quantize/magnitude_prune.h"
#include "synthetic_layer.h"

namespace kinglet::compression::quantize {
namespace {

double SquaredError(const Matrix& a, const Matrix& b, const Matrix* importance = nullptr) {
  double e = 0.0;
  for (size_t i = 0; i < a.values.size(); ++i) {
    const double d = static_cast<double>(a.values[i]) - b.values[i];
    e += (importance ? importance->values[i] : 1.0) * d * d;
  }
  return e;
}

void ExpectSortedUnique(const KMeansCodebook& book, int bits) {
  ASSERT_FALSE(book.centroids.empty());
  EXPECT_LE(book.centroids.size(), size_t{1} << bits);
  for (size_t i = 1; i < book.centroids.size(); ++i) EXPECT_LT(book.centroids[i - 1], book.centroids[i]);
}

TEST(KMeansTest, ErrorFallsWithBitsAndCodebookIsSortedUnique) {
  const Matrix w = testing::RandomGaussian(64, 100, 11, 0.1f);
  for (KMeansInit init : {KMeansInit::kLinear, KMeansInit::kDensity}) {
    double previous = INFINITY;
    for (int bits = 1; bits <= 8; ++bits) {
      auto book = KMeansQuantize(w, {bits, init, 300});
      ASSERT_TRUE(book.ok()) << book.status().ToString();
      ExpectSortedUnique(*book, bits);
      EXPECT_TRUE(book->converged) << "bits " << bits;
      const Matrix decoded = book->Decode();
      for (size_t i = 0; i < w.values.size(); ++i) {
        ASSERT_EQ(decoded.values[i], book->centroids[book->indices[i]]);
        // Every weight sits at its nearest centroid (assignment is consistent with the codebook).
        ASSERT_EQ(book->indices[i], NearestCentroid(book->centroids, w.values[i]));
      }
      const double err = SquaredError(w, decoded);
      EXPECT_LT(err, previous) << "bits " << bits;
      previous = err;
    }
    // 8 bits on 6400 Gaussian weights: relative MSE well under 1e-4.
    double energy = SquaredError(w, Matrix(64, 100));
    std::printf("[ measured ] k-means 8 bits %s init: relative MSE %.3g\n",
                init == KMeansInit::kLinear ? "linear" : "density", previous / energy);
    // Linear init keeps the tails covered; density init starves them (Deep Compression Fig. 4).
    EXPECT_LT(previous / energy, init == KMeansInit::kLinear ? 1e-4 : 5e-4);
  }
}

TEST(KMeansTest, LinearInitSpansTheRangeAndLloydImprovesIt) {
  // Deep Compression Fig. 4: linear init puts centroids on the rare large weights, density init
  // does not. (On a log-concave distribution Lloyd then reaches the same optimum from either.)
  const Matrix w = testing::RandomGaussian(100, 100, 12);
  const auto [lo, hi] = std::minmax_element(w.values.begin(), w.values.end());
  auto linear0 = KMeansQuantize(w, {3, KMeansInit::kLinear, 0});
  auto density0 = KMeansQuantize(w, {3, KMeansInit::kDensity, 0});
  auto linear = KMeansQuantize(w, {3, KMeansInit::kLinear, 300});
  ASSERT_TRUE(linear0.ok() && density0.ok() && linear.ok());
  EXPECT_FLOAT_EQ(linear0->centroids.front(), *lo);
  EXPECT_FLOAT_EQ(linear0->centroids.back(), *hi);
  EXPECT_LT(density0->centroids.back(), 0.8f * *hi);
  EXPECT_FALSE(linear0->converged);
  EXPECT_EQ(linear0->iterations, 0);
  EXPECT_LT(SquaredError(w, linear->Decode()), 0.9 * SquaredError(w, linear0->Decode()));
}

TEST(KMeansTest, PrunedWeightsStayZeroAndDoNotCluster) {
  const Matrix dense = testing::RandomGaussian(20, 30, 13);
  auto sparse = MagnitudePrune(dense, 0.8);
  ASSERT_TRUE(sparse.ok());
  auto book = KMeansQuantize(*sparse, {2, KMeansInit::kLinear, 300});
  ASSERT_TRUE(book.ok());
  const Matrix decoded = book->Decode();
  Matrix kept_only(1, 0);
  for (size_t i = 0; i < sparse->values.size(); ++i) {
    if (sparse->values[i] == 0.0f) {
      EXPECT_EQ(book->indices[i], kPrunedIndex);
      EXPECT_EQ(decoded.values[i], 0.0f);
    } else {
      EXPECT_NE(book->indices[i], kPrunedIndex);
      EXPECT_NE(decoded.values[i], 0.0f);
      kept_only.values.push_back(sparse->values[i]);
    }
  }
  kept_only.cols = static_cast<int64_t>(kept_only.values.size());
  // Magnitude-pruned weights have a hole around 0; no centroid may fall in it.
  for (float c : book->centroids) EXPECT_GT(std::fabs(c), 0.0f);
  auto same = KMeansQuantize(kept_only, {2, KMeansInit::kLinear, 300});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->centroids, book->centroids) << "zeros must not influence the codebook";
}

TEST(KMeansTest, FewDistinctValuesAreExact) {
  Matrix w(3, 4, 0.0f);
  const float v[] = {0.5f, -1.0f, 0.5f, 2.0f, 0.0f, -1.0f, 2.0f, 0.5f, 0.0f, 0.25f, 0.25f, -1.0f};
  w.values.assign(std::begin(v), std::end(v));
  auto book = KMeansQuantize(w, {2, KMeansInit::kLinear, 300});
  ASSERT_TRUE(book.ok());
  EXPECT_EQ(book->centroids, (std::vector<float>{-1.0f, 0.25f, 0.5f, 2.0f}));
  EXPECT_EQ(book->Decode().values, w.values);
}

TEST(KMeansTest, AllZeroLayerHasEmptyCodebook) {
  auto book = KMeansQuantize(Matrix(2, 3, 0.0f), {4, KMeansInit::kLinear, 300});
  ASSERT_TRUE(book.ok());
  EXPECT_TRUE(book->centroids.empty());
  EXPECT_EQ(book->Decode().values, std::vector<float>(6, 0.0f));
}

TEST(KMeansTest, Deterministic) {
  const Matrix w = testing::RandomGaussian(30, 30, 14);
  auto a = KMeansQuantize(w, {4, KMeansInit::kDensity, 300});
  auto b = KMeansQuantize(w, {4, KMeansInit::kDensity, 300});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->centroids, b->centroids);
  EXPECT_EQ(a->indices, b->indices);
}

TEST(KMeansTest, ImportanceWeightingLowersWeightedError) {
  // Even inputs carry 100x the energy and have small weights, odd inputs large weights: the weighted
  // codebook should spend its centroids on the small, important weights.
  Matrix w = testing::RandomGaussian(40, 50, 15);
  Matrix importance(40, 50, 1.0f);
  for (int64_t r = 0; r < 40; ++r) {
    for (int64_t c = 0; c < 50; c += 2) {
      importance(r, c) = 100.0f;
      w(r, c) *= 0.1f;
    }
  }
  auto plain = KMeansQuantize(w, {3, KMeansInit::kLinear, 300});
  auto weighted = KMeansQuantize(w, {3, KMeansInit::kLinear, 300}, &importance);
  ASSERT_TRUE(plain.ok() && weighted.ok());
  const double e_plain = SquaredError(w, plain->Decode(), &importance);
  const double e_weighted = SquaredError(w, weighted->Decode(), &importance);
  std::printf("[ measured ] importance-weighted k-means: weighted error %.4g vs plain %.4g\n", e_weighted,
              e_plain);
  EXPECT_LT(e_weighted, 0.5 * e_plain);
  // The Hessian diagonal helper broadcasts diag(H) over rows.
  MatrixD h(3, 3, 0.0);
  h(0, 0) = 1.0;
  h(1, 1) = 4.0;
  const Matrix imp = HessianDiagonalImportance(h, 2);
  EXPECT_EQ(imp.values, (std::vector<float>{1.0f, 4.0f, 0.0f, 1.0f, 4.0f, 0.0f}));
}

TEST(KMeansTest, ZeroImportanceStillRepresentsWeights) {
  const Matrix w = testing::RandomGaussian(10, 10, 16);
  Matrix importance(10, 10, 0.0f);
  auto book = KMeansQuantize(w, {2, KMeansInit::kLinear, 300}, &importance);
  ASSERT_TRUE(book.ok());
  ExpectSortedUnique(*book, 2);
}

TEST(KMeansTest, EncodeWithCodebookRoundTrips) {
  const Matrix w = testing::RandomGaussian(10, 10, 17);
  auto book = KMeansQuantize(w, {3, KMeansInit::kLinear, 300});
  ASSERT_TRUE(book.ok());
  auto again = EncodeWithCodebook(book->Decode(), book->centroids);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->indices, book->indices);
  EXPECT_FALSE(EncodeWithCodebook(w, {1.0f, 0.5f}).ok());
  EXPECT_FALSE(EncodeWithCodebook(w, {}).ok());
}

TEST(KMeansTest, RejectsBadInput) {
  const Matrix w = testing::RandomGaussian(4, 4, 18);
  EXPECT_FALSE(KMeansQuantize(w, {0, KMeansInit::kLinear, 10}).ok());
  EXPECT_FALSE(KMeansQuantize(w, {9, KMeansInit::kLinear, 10}).ok());
  Matrix neg(4, 4, 1.0f);
  neg(0, 0) = -1.0f;
  EXPECT_FALSE(KMeansQuantize(w, {2, KMeansInit::kLinear, 10}, &neg).ok());
  Matrix wrong(4, 5, 1.0f);
  EXPECT_FALSE(KMeansQuantize(w, {2, KMeansInit::kLinear, 10}, &wrong).ok());
  Matrix nan = w;
  nan(2, 3) = std::nanf("");
  EXPECT_FALSE(KMeansQuantize(nan, {2, KMeansInit::kLinear, 10}).ok());
}

}  // namespace
}  // namespace kinglet::compression::quantize
