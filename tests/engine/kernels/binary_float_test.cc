// The same-shape float Add/Sub/Mul/Div against one scalar IEEE operation per element (bit for
// bit, NaN and infinities included), on lengths around the vector width, split over a pool,
// and written in place over an input.
#include "kernels/binary_float.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

float Apply(BinaryFloatOp op, float a, float b) {
  switch (op) {
    case BinaryFloatOp::kAdd:
      return a + b;
    case BinaryFloatOp::kSub:
      return a - b;
    case BinaryFloatOp::kMul:
      return a * b;
    case BinaryFloatOp::kDiv:
      return a / b;
  }
  return 0.0f;
}

std::vector<float> Random(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> value(-3.0f, 3.0f);
  std::uniform_int_distribution<int> special(0, 40);
  std::vector<float> v(n);
  for (float& x : v) {
    switch (special(rng)) {
      case 0:
        x = std::numeric_limits<float>::quiet_NaN();
        break;
      case 1:
        x = std::numeric_limits<float>::infinity();
        break;
      case 2:
        x = 0.0f;
        break;
      default:
        x = value(rng);
    }
  }
  return v;
}

TEST(BinaryFloatTest, EqualsOneOperationPerElementBitForBit) {
  std::mt19937 rng(5);
  runtime::ThreadPool pool(3);
  const int64_t lengths[] = {0, 1, 7, 8, 9, 31, 33, 100, 257, 200003};
  for (BinaryFloatOp op : {BinaryFloatOp::kAdd, BinaryFloatOp::kSub, BinaryFloatOp::kMul, BinaryFloatOp::kDiv}) {
    for (int64_t n : lengths) {
      const std::vector<float> a = Random(n, rng), b = Random(n, rng);
      std::vector<float> want(n);
      for (int64_t i = 0; i < n; ++i) want[i] = Apply(op, a[i], b[i]);
      for (runtime::ThreadPool* threads : {static_cast<runtime::ThreadPool*>(nullptr), &pool}) {
        std::vector<float> got(n, -1.0f);
        BinaryFloatSameShape(op, a.data(), b.data(), got.data(), n, threads);
        if (n == 0) continue;  // nothing to compare (and memcmp must not see null pointers)
        EXPECT_EQ(std::memcmp(got.data(), want.data(), n * sizeof(float)), 0) << "n=" << n;
        std::vector<float> in_place = a;  // y aliases a, as when the memory plan reuses a buffer
        BinaryFloatSameShape(op, in_place.data(), b.data(), in_place.data(), n, threads);
        EXPECT_EQ(std::memcmp(in_place.data(), want.data(), n * sizeof(float)), 0) << "in place, n=" << n;
      }
    }
  }
}

}  // namespace
}  // namespace kinglet::kernels
