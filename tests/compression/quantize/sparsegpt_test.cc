#include "quantize/sparsegpt.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "quantize/error_feedback_quantize.h"
#include "quantize/kmeans.h"
#include "quantize/magnitude_prune.h"
#include "synthetic_layer.h"

namespace kinglet::compression::quantize {
namespace {

class SparseGptTest : public ::testing::Test {
 protected:
  // 64 outputs x 256 inputs, 4096 correlated calibration samples; errors are measured on a
  // separate held-out draw of the same distribution, so no credit for fitting the calibration set.
  void SetUp() override {
    // One draw shares the mixing matrix and feature scales; the first 4096 samples calibrate, the
    // last 2048 measure.
    const Matrix all = testing::CorrelatedInputs(4096 + 2048, 256, 41);
    x_ = testing::RowSlice(all, 0, 4096);
    held_out_ = testing::RowSlice(all, 4096, all.rows);
    w_ = testing::RandomGaussian(64, 256, 42);
    h_ = testing::HessianOf(x_);
  }
  double RelativeError(const Matrix& w_hat) const {
    return testing::OutputError(w_, w_hat, held_out_) / testing::OutputEnergy(w_, held_out_);
  }

  Matrix x_, held_out_, w_;
  MatrixD h_;
};

TEST_F(SparseGptTest, BeatsMagnitudePruningOnOutputError) {
  for (double sparsity : {0.5, 0.7, 0.9}) {
    auto magnitude = MagnitudePrune(w_, sparsity);
    auto sparsegpt = SparseGptPrune(w_, h_, sparsity);
    ASSERT_TRUE(magnitude.ok() && sparsegpt.ok()) << sparsegpt.status().ToString();
    EXPECT_EQ(testing::CountZeros(*sparsegpt), std::llround(sparsity * w_.size()));
    const double e_mag = RelativeError(*magnitude), e_sgpt = RelativeError(*sparsegpt);
    std::printf(
        "[ measured ] sparsity %.0f%%: relative output error magnitude %.4f, SparseGPT %.4f, ratio %.3f\n",
        100 * sparsity, e_mag, e_sgpt, e_sgpt / e_mag);
    RecordProperty("sparsegpt_over_magnitude_" + std::to_string(static_cast<int>(100 * sparsity)),
                   std::to_string(e_sgpt / e_mag));
    // Measured 0.056 / 0.12 / 0.37 on this data (deterministic); bounds leave ~2x headroom.
    const double bound = sparsity < 0.6 ? 0.15 : sparsity < 0.8 ? 0.25 : 0.5;
    EXPECT_LT(e_sgpt, bound * e_mag) << "sparsity " << sparsity;
  }
}

TEST_F(SparseGptTest, MaskIsExactAndDeterministic) {
  auto a = SparseGptPrune(w_, h_, 0.75, {32, 0.01, nullptr});  // block 32: 8 mask-selection rounds
  auto b = SparseGptPrune(w_, h_, 0.75, {32, 0.01, nullptr});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->values, b->values);
  EXPECT_EQ(testing::CountZeros(*a), std::llround(0.75 * w_.size()));
  // Per block prefix the count is exact too, so each 32-column block holds ~75% zeros overall.
  for (double s : {0.0, 1.0}) {
    auto r = SparseGptPrune(w_, h_, s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(testing::CountZeros(*r), std::llround(s * w_.size()));
  }
}

TEST_F(SparseGptTest, ZeroSparsityKeepsWeights) {
  auto r = SparseGptPrune(w_, h_, 0.0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->values, w_.values);  // nothing fixed to a new value, so no error to propagate
}

TEST_F(SparseGptTest, EarlierZerosStayPruned) {
  auto first = MagnitudePrune(w_, 0.6);
  ASSERT_TRUE(first.ok());
  for (double s : {0.3, 0.8}) {  // below and above the existing sparsity
    auto r = SparseGptPrune(*first, h_, s);
    ASSERT_TRUE(r.ok());
    for (size_t i = 0; i < w_.values.size(); ++i) {
      if (first->values[i] == 0.0f) {
        ASSERT_EQ(r->values[i], 0.0f) << i;
      }
    }
    EXPECT_EQ(testing::CountZeros(*r),
              std::max<int64_t>(testing::CountZeros(*first), std::llround(s * w_.size())));
  }
}

TEST_F(SparseGptTest, JointQuantizationSnapsKeptWeights) {
  auto book = KMeansQuantize(w_, {4, KMeansInit::kLinear, 300});
  ASSERT_TRUE(book.ok());
  SparseGptOptions options;
  options.quantizer = CodebookQuantizer(book->centroids);
  auto r = SparseGptPrune(w_, h_, 0.8, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(testing::CountZeros(*r), std::llround(0.8 * w_.size()));
  for (float v : r->values) {
    if (v != 0.0f) {
      ASSERT_TRUE(std::binary_search(book->centroids.begin(), book->centroids.end(), v)) << v;
    }
  }
}

TEST_F(SparseGptTest, RejectsBadInput) {
  EXPECT_FALSE(SparseGptPrune(w_, h_, 1.2).ok());
  EXPECT_FALSE(SparseGptPrune(w_, MatrixD(10, 10, 0.0), 0.5).ok());
  EXPECT_FALSE(SparseGptPrune(w_, h_, 0.5, {0, 0.01, nullptr}).ok());
  Matrix nan = w_;
  nan(3, 3) = std::nanf("");
  EXPECT_FALSE(SparseGptPrune(nan, h_, 0.5).ok());
  MatrixD hnan = h_;
  hnan(1, 2) = std::nan("");
  EXPECT_FALSE(SparseGptPrune(w_, hnan, 0.5).ok());
}

TEST_F(SparseGptTest, DeadInputsArePrunedFirst) {
  // An input that is never active costs nothing to prune: its weights must be the first to go.
  Matrix x = x_;
  for (int64_t s = 0; s < x.rows; ++s) x(s, 5) = 0.0f;
  auto r = SparseGptPrune(w_, testing::HessianOf(x), 0.1);
  ASSERT_TRUE(r.ok());
  for (int64_t row = 0; row < w_.rows; ++row) EXPECT_EQ((*r)(row, 5), 0.0f) << row;
}

}  // namespace
}  // namespace kinglet::compression::quantize
