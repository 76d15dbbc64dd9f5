// Messages built by runtime/status_format.h read exactly as the std::string concatenations they
// replaced: integers of every width and sign, floats, text, and shapes with unknown dims.
#include "runtime/status_format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "kinglet/tensor.h"

namespace kinglet {
namespace {

TEST(StatusFormatTest, FillsEachPlaceholderWithTheNextValue) {
  const std::string name = "conv1";
  EXPECT_EQ(FormatMessage("node '{}' ({}, opset {})", name, "Conv", 13), "node 'conv1' (Conv, opset 13)");
  EXPECT_EQ(FormatMessage("no placeholders"), "no placeholders");
  EXPECT_EQ(FormatMessage("{}{}", "a", std::string("b")), "ab");
}

TEST(StatusFormatTest, IntegersPrintLikeToString) {
  EXPECT_EQ(FormatMessage("{} {} {}", int8_t{-5}, uint8_t{200}, int16_t{-300}), "-5 200 -300");
  EXPECT_EQ(FormatMessage("{}", std::numeric_limits<int64_t>::min()),
            std::to_string(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(FormatMessage("{}", std::numeric_limits<uint64_t>::max()),
            std::to_string(std::numeric_limits<uint64_t>::max()));
  EXPECT_EQ(FormatMessage("{}", size_t{42}), "42");
}

TEST(StatusFormatTest, FloatsPrintShortest) {
  EXPECT_EQ(FormatMessage("clip {}", 0.5f), "clip 0.5");
  EXPECT_EQ(FormatMessage("{}", 1e-5), "1e-05");
}

TEST(StatusFormatTest, ShapesPrintLikeShapeToString) {
  const Shape shape{1, -1, 224, 0};
  EXPECT_EQ(FormatMessage("got {}", shape), "got [1,?,224,0]");
  EXPECT_EQ(ShapeToString(shape), "[1,?,224,0]");
  EXPECT_EQ(FormatMessage("{}", Shape{}), "[]");
}

TEST(StatusFormatTest, MismatchedCountsNeitherCrashNorDropText) {
  EXPECT_EQ(FormatMessage("{} and {}", 1), "1 and {}");
  EXPECT_EQ(FormatMessage("only {}", 1, 2), "only 1");
  EXPECT_EQ(FormatMessage("a lone { and } stay"), "a lone { and } stay");
  EXPECT_EQ(FormatMessage("null text: '{}'", static_cast<const char*>(nullptr)), "null text: ''");
}

TEST(StatusFormatTest, ErrorsCarryTheirCodeAndMessage) {
  const Status s = InvalidArgumentError("axis {} is out of range for rank {}", -4, 3);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "axis -4 is out of range for rank 3");
  EXPECT_EQ(UnsupportedError("x").code(), StatusCode::kUnsupported);
  EXPECT_EQ(CorruptionError("x").code(), StatusCode::kCorruption);
  EXPECT_EQ(NotFoundError("x").code(), StatusCode::kNotFound);
  EXPECT_EQ(InternalError("x").code(), StatusCode::kInternal);
  EXPECT_EQ(FormatStatus(StatusCode::kIOError, "{} bytes", {7}).ToString(), "IO error: 7 bytes");
}

}  // namespace
}  // namespace kinglet
