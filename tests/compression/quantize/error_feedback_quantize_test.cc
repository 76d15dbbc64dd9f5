#include "quantize/error_feedback_quantize.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "quantize/bias_correction.h"
#include "quantize/int8.h"
#include "quantize/kmeans.h"
#include "quantize/magnitude_prune.h"
#include "quantize/sparsegpt.h"
#include "synthetic_layer.h"

namespace kinglet::compression::quantize {
namespace {

class ErrorFeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Matrix all = testing::CorrelatedInputs(4096 + 2048, 256, 51);
    x_ = testing::RowSlice(all, 0, 4096);
    held_out_ = testing::RowSlice(all, 4096, all.rows);
    w_ = testing::RandomGaussian(64, 256, 52);
    h_ = testing::HessianOf(x_);
  }
  double RelativeError(const Matrix& w_hat) const {
    return testing::OutputError(w_, w_hat, held_out_) / testing::OutputEnergy(w_, held_out_);
  }
  Matrix x_, held_out_, w_;
  MatrixD h_;
};

TEST_F(ErrorFeedbackTest, BeatsRoundToNearestForTheSameCodebook) {
  for (int bits : {2, 3, 4}) {
    auto book = KMeansQuantize(w_, {bits, KMeansInit::kLinear, 300});
    ASSERT_TRUE(book.ok());
    const Matrix rtn = book->Decode();
    auto gptq = QuantizeWithErrorFeedback(w_, h_, CodebookQuantizer(book->centroids));
    ASSERT_TRUE(gptq.ok()) << gptq.status().ToString();
    for (float v : gptq->values) {
      ASSERT_TRUE(std::binary_search(book->centroids.begin(), book->centroids.end(), v)) << v;
    }
    const double e_rtn = RelativeError(rtn), e_gptq = RelativeError(*gptq);
    std::printf(
        "[ measured ] k-means %d bits: relative output error RTN %.5f, error feedback %.5f, ratio %.3f\n",
        bits, e_rtn, e_gptq, e_gptq / e_rtn);
    EXPECT_LT(e_gptq, 0.5 * e_rtn) << bits << " bits";  // measured 0.22-0.30
  }
}

TEST_F(ErrorFeedbackTest, BeatsRoundToNearestOnTheInt8Grid) {
  for (Int8Mode mode : {Int8Mode::kSymmetric, Int8Mode::kAsymmetric}) {
    auto grid = QuantizeInt8PerChannel(w_, mode);
    ASSERT_TRUE(grid.ok());
    const Matrix rtn = grid->Dequantized();
    auto gptq = QuantizeWithErrorFeedback(w_, h_, Int8GridQuantizer(*grid));
    ASSERT_TRUE(gptq.ok());
    for (int64_t r = 0; r < w_.rows; ++r) {
      for (int64_t c = 0; c < w_.cols; ++c) {
        ASSERT_EQ((*gptq)(r, c), NearestInt8GridValue(*grid, r, (*gptq)(r, c))) << "off the row's grid";
      }
    }
    const double e_rtn = RelativeError(rtn), e_gptq = RelativeError(*gptq);
    std::printf("[ measured ] int8 %s: relative output error RTN %.3g, error feedback %.3g, ratio %.3f\n",
                mode == Int8Mode::kSymmetric ? "symmetric" : "asymmetric", e_rtn, e_gptq, e_gptq / e_rtn);
    EXPECT_LT(e_gptq, 0.5 * e_rtn);  // measured 0.21-0.23
  }
}

TEST_F(ErrorFeedbackTest, PrunedWeightsStayExactlyZero) {
  auto sparse = SparseGptPrune(w_, h_, 0.7);
  ASSERT_TRUE(sparse.ok());
  auto book = KMeansQuantize(*sparse, {3, KMeansInit::kLinear, 300});
  ASSERT_TRUE(book.ok());
  auto q = QuantizeWithErrorFeedback(*sparse, h_, CodebookQuantizer(book->centroids));
  ASSERT_TRUE(q.ok());
  for (size_t i = 0; i < q->values.size(); ++i) {
    if (sparse->values[i] == 0.0f) {
      ASSERT_EQ(q->values[i], 0.0f) << i;
    } else {
      ASSERT_NE(q->values[i], 0.0f) << i;
    }
  }
  auto encoded = EncodeWithCodebook(*q, book->centroids);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->Decode().values, q->values);
  EXPECT_LT(RelativeError(*q), RelativeError(book->Decode()));
}

// Deep-Compression-style pipeline without retraining, 90% sparse + 4-bit shared weights, against
// the same pipeline done naively (magnitude mask, k-means round-to-nearest).
TEST_F(ErrorFeedbackTest, FullRecoveryPipelineBeatsNaive) {
  auto naive_sparse = MagnitudePrune(w_, 0.9);
  ASSERT_TRUE(naive_sparse.ok());
  auto naive_book = KMeansQuantize(*naive_sparse, {4, KMeansInit::kLinear, 300});
  ASSERT_TRUE(naive_book.ok());
  const double e_naive = RelativeError(naive_book->Decode());

  auto sparse = SparseGptPrune(w_, h_, 0.9);
  ASSERT_TRUE(sparse.ok());
  const Matrix importance = HessianDiagonalImportance(h_, w_.rows);
  auto book = KMeansQuantize(*sparse, {4, KMeansInit::kLinear, 300}, &importance);
  ASSERT_TRUE(book.ok());
  auto q = QuantizeWithErrorFeedback(*sparse, h_, CodebookQuantizer(book->centroids));
  ASSERT_TRUE(q.ok());
  const double e_ours = RelativeError(*q);
  std::printf(
      "[ measured ] 90%% sparse + 4-bit: relative output error naive %.4f, SparseGPT+kmeans(diagH)+GPTQ "
      "%.4f, "
      "ratio %.3f\n",
      e_naive, e_ours, e_ours / e_naive);
  EXPECT_LT(e_ours, 0.5 * e_naive);
}

TEST_F(ErrorFeedbackTest, RejectsBadInput) {
  EXPECT_FALSE(QuantizeWithErrorFeedback(w_, h_, nullptr).ok());
  EXPECT_FALSE(QuantizeWithErrorFeedback(w_, MatrixD(3, 3, 0.0), CodebookQuantizer({0.0f})).ok());
}

}  // namespace
}  // namespace kinglet::compression::quantize
