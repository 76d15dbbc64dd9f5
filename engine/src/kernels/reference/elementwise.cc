#include "kernels/reference/elementwise.h"

#include <type_traits>

namespace kinglet::kernels::reference {
namespace {

// Signed overflow is undefined in C++; unsigned arithmetic gives the two's-complement wrap.
template <typename T, bool = std::is_integral_v<T>>
struct WideOf {
  using type = T;
};
template <typename T>
struct WideOf<T, true> {
  using type = std::make_unsigned_t<T>;
};
template <typename T>
using Wide = typename WideOf<T>::type;

template <typename T>
T WrapAdd(T a, T b) {
  return static_cast<T>(static_cast<Wide<T>>(a) + static_cast<Wide<T>>(b));
}
template <typename T>
T WrapSub(T a, T b) {
  return static_cast<T>(static_cast<Wide<T>>(a) - static_cast<Wide<T>>(b));
}
template <typename T>
T WrapMul(T a, T b) {
  return static_cast<T>(static_cast<Wide<T>>(a) * static_cast<Wide<T>>(b));
}

}  // namespace

template <typename T>
void Add(const BroadcastPlan& p, const T* a, const T* b, T* y) {
  BroadcastBinary(p, a, b, y, [](T x, T z) { return WrapAdd(x, z); });
}

template <typename T>
void Sub(const BroadcastPlan& p, const T* a, const T* b, T* y) {
  BroadcastBinary(p, a, b, y, [](T x, T z) { return WrapSub(x, z); });
}

template <typename T>
void Mul(const BroadcastPlan& p, const T* a, const T* b, T* y) {
  BroadcastBinary(p, a, b, y, [](T x, T z) { return WrapMul(x, z); });
}

template <typename T>
bool Div(const BroadcastPlan& p, const T* a, const T* b, T* y) {
  if constexpr (std::is_floating_point_v<T>) {
    BroadcastBinary(p, a, b, y, [](T x, T z) { return x / z; });
    return true;
  } else {
    bool divided_by_zero = false;
    BroadcastBinary(p, a, b, y, [&divided_by_zero](T x, T z) -> T {
      if (z == 0) {
        divided_by_zero = true;
        return 0;
      }
      if (z == -1) return WrapSub(T{0}, x);  // also covers min() / -1, which overflows
      return x / z;
    });
    return !divided_by_zero;
  }
}

void PRelu(const BroadcastPlan& p, const float* x, const float* slope, float* y) {
  BroadcastBinary(p, x, slope, y, [](float v, float s) { return v < 0.0f ? s * v : v; });
}

#define KINGLET_INSTANTIATE_ARITHMETIC(T)                             \
  template void Add<T>(const BroadcastPlan&, const T*, const T*, T*); \
  template void Sub<T>(const BroadcastPlan&, const T*, const T*, T*); \
  template void Mul<T>(const BroadcastPlan&, const T*, const T*, T*); \
  template bool Div<T>(const BroadcastPlan&, const T*, const T*, T*);
KINGLET_INSTANTIATE_ARITHMETIC(float)
KINGLET_INSTANTIATE_ARITHMETIC(int32_t)
KINGLET_INSTANTIATE_ARITHMETIC(int64_t)
#undef KINGLET_INSTANTIATE_ARITHMETIC

}  // namespace kinglet::kernels::reference
