// Error Statuses whose message is a template filled in with values, built in one out-of-line call.
//
//   return InvalidArgumentError("axis {} is out of range for rank {}", axis, rank);
//
// Each "{}" takes the next value: an integer, a float, a string or a shape (printed "[1,3,?]",
// ? for a dimension of unknown size). Messages built with std::string's operator+ cost an app
// ~100 bytes of code per piece at every call site (a temporary, an append, a destructor each);
// the engine has a few hundred such messages, so this is a size measure: a call site here is the
// template's address, one small store per value and a call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include "kinglet/status.h"

namespace kinglet {

// One value for a message; views its argument, which outlives the call it is passed to.
class MessageArg {
 public:
  template <typename T, std::enable_if_t<std::is_integral_v<T> && std::is_signed_v<T>, int> = 0>
  MessageArg(T v) : kind_(Kind::kSigned), signed_(v) {}  // NOLINT: implicit by design
  template <typename T, std::enable_if_t<std::is_integral_v<T> && std::is_unsigned_v<T>, int> = 0>
  MessageArg(T v) : kind_(Kind::kUnsigned), unsigned_(v) {}                                     // NOLINT
  MessageArg(double v) : kind_(Kind::kFloat), float_(v) {}                                      // NOLINT
  MessageArg(const char* text) : kind_(Kind::kText), text_{text, kNulTerminated} {}             // NOLINT
  MessageArg(const std::string& text) : kind_(Kind::kText), text_{text.data(), text.size()} {}  // NOLINT
  MessageArg(const std::vector<int64_t>& shape) : kind_(Kind::kShape), shape_(&shape) {}        // NOLINT

  void AppendTo(std::string* out) const;

 private:
  static constexpr size_t kNulTerminated = ~size_t{0};
  enum class Kind : uint8_t { kSigned, kUnsigned, kFloat, kText, kShape };
  struct Text {
    const char* data;
    size_t size;
  };

  Kind kind_;
  union {
    int64_t signed_;
    uint64_t unsigned_;
    double float_;
    Text text_;
    const std::vector<int64_t>* shape_;
  };
};

// `text` with each "{}" replaced by the next of `args` (a "{}" past the last value stays as is).
std::string FormatMessageList(const char* text, std::initializer_list<MessageArg> args);
// A Status with that message; for the codes without a helper below (kIOError, ...).
Status FormatStatus(StatusCode code, const char* text, std::initializer_list<MessageArg> args);

template <typename... Args>
std::string FormatMessage(const char* text, const Args&... args) {
  return FormatMessageList(text, {args...});
}

template <typename... Args>
Status InvalidArgumentError(const char* text, const Args&... args) {
  return FormatStatus(StatusCode::kInvalidArgument, text, {args...});
}
template <typename... Args>
Status UnsupportedError(const char* text, const Args&... args) {
  return FormatStatus(StatusCode::kUnsupported, text, {args...});
}
template <typename... Args>
Status CorruptionError(const char* text, const Args&... args) {
  return FormatStatus(StatusCode::kCorruption, text, {args...});
}
template <typename... Args>
Status NotFoundError(const char* text, const Args&... args) {
  return FormatStatus(StatusCode::kNotFound, text, {args...});
}
template <typename... Args>
Status InternalError(const char* text, const Args&... args) {
  return FormatStatus(StatusCode::kInternal, text, {args...});
}

}  // namespace kinglet
