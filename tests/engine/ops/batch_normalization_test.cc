#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "op_harness.h"

namespace kinglet {
namespace {

using testing::Attrs;
using testing::FloatAttr;
using testing::IntAttr;
using testing::RunOp;

std::vector<float> Values(const Tensor& t) {
  return {t.data<float>(), t.data<float>() + t.element_count()};
}

// X [1,2,1,2]; channel 0: (x - 1) / 2 * 2 + 0; channel 1: (x - 3) / 0.5 * 1 + 1.
std::vector<Tensor> Inputs() {
  return {Tensor::FromFloats({1, 2, 1, 2}, {1, 2, 3, 4}), Tensor::FromFloats({2}, {2, 1}),
          Tensor::FromFloats({2}, {0, 1}), Tensor::FromFloats({2}, {1, 3}),
          Tensor::FromFloats({2}, {4, 0.25f})};
}

TEST(BatchNormalizationTest, NormalisesPerChannel) {
  for (int64_t opset : {7, 9, 14, 15}) {
    auto r = RunOp("BatchNormalization", Attrs({FloatAttr("epsilon", 0)}), Inputs(), 1, opset);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].shape(), (Shape{1, 2, 1, 2}));
    EXPECT_EQ(Values((*r)[0]), (std::vector<float>{0, 1, 1, 3})) << "opset " << opset;
  }
  // Default epsilon is 1e-5: var + eps moves the result slightly.
  auto r = RunOp("BatchNormalization", Attrs({}), Inputs(), 1, 15);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(Values((*r)[0])[3], (4.0f - 3.0f) / std::sqrt(0.25f + 1e-5f) + 1.0f, 1e-6f);
  // Rank-2 input (BatchNorm1d).
  auto flat = RunOp("BatchNormalization", Attrs({FloatAttr("epsilon", 0)}),
                    {Tensor::FromFloats({1, 2}, {3, 4}), Tensor::FromFloats({2}, {1, 1}),
                     Tensor::FromFloats({2}, {0, 0}), Tensor::FromFloats({2}, {1, 2}),
                     Tensor::FromFloats({2}, {1, 1})},
                    1, 15);
  ASSERT_TRUE(flat.ok()) << flat.status().ToString();
  EXPECT_EQ(Values((*flat)[0]), (std::vector<float>{2, 2}));
}

TEST(BatchNormalizationTest, Opset7SpatialZeroUsesPerElementStatistics) {
  const std::vector<Tensor> in = {
      Tensor::FromFloats({1, 2, 2}, {1, 2, 3, 4}), Tensor::FromFloats({2, 2}, {1, 1, 1, 1}),
      Tensor::FromFloats({2, 2}, {0, 0, 0, 10}), Tensor::FromFloats({2, 2}, {0, 1, 2, 3}),
      Tensor::FromFloats({2, 2}, {1, 1, 1, 1})};
  auto r = RunOp("BatchNormalization", Attrs({IntAttr("spatial", 0), FloatAttr("epsilon", 0)}), in,
                 1, 7);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values((*r)[0]), (std::vector<float>{1, 1, 1, 11}));
  // From opset 9 `spatial` is gone, so [C, D] statistics no longer fit.
  EXPECT_EQ(RunOp("BatchNormalization", Attrs({IntAttr("spatial", 0)}), in, 1, 9).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(BatchNormalizationTest, TrainingIsUnsupported) {
  EXPECT_EQ(RunOp("BatchNormalization", Attrs({IntAttr("training_mode", 1)}), Inputs(), 1, 15)
                .status()
                .code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(RunOp("BatchNormalization", Attrs({}), Inputs(), 3, 15).status().code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(RunOp("BatchNormalization", Attrs({}), Inputs(), 5, 7).status().code(),
            StatusCode::kUnsupported);
}

TEST(BatchNormalizationTest, RejectsBadShapesAndDtypes) {
  std::vector<Tensor> in = Inputs();
  in[3] = Tensor::FromFloats({3}, {0, 0, 0});
  EXPECT_EQ(RunOp("BatchNormalization", Attrs({}), in, 1, 15).status().code(),
            StatusCode::kInvalidArgument);
  in = Inputs();
  in[0] = Tensor::FromFloats({2}, {1, 2});
  EXPECT_EQ(RunOp("BatchNormalization", Attrs({}), in, 1, 15).status().code(),
            StatusCode::kInvalidArgument);
  in = Inputs();
  in[2] = Tensor::FromInt64s({2}, {0, 0});
  EXPECT_EQ(RunOp("BatchNormalization", Attrs({}), in, 1, 15).status().code(),
            StatusCode::kUnsupported);
  in.pop_back();
  EXPECT_EQ(RunOp("BatchNormalization", Attrs({}), in, 1, 15).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kinglet
