// Status and Result<T>: how every error crosses a Kinglet module boundary.
//
// The engine's public API never throws. A function that can fail returns a Status (or a
// Result<T> carrying either a value or a Status); the message names the thing that is wrong
// and, where possible, what the caller can do about it.
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace kinglet {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller passed something malformed (bad shape, unknown input name)
  kNotFound,         // a file, tensor or node that was asked for does not exist
  kCorruption,       // a .kgl or other file failed validation (truncated, bit-flipped, hostile)
  kUnsupported,      // well-formed, but uses an op, attribute, dtype or version we do not run
  kIOError,          // the operating system refused a read or write
  kInternal,         // a Kinglet bug: please report it
  // Used by the server and the SDK (the engine itself never returns these):
  kAlreadyExists,       // a create found the thing already there
  kFailedPrecondition,  // the request is valid but the current state forbids it
  kUnauthenticated,     // missing or wrong credentials
  kResourceExhausted,   // a size or rate limit was hit
  kCancelled,           // the caller asked a long operation to stop
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {StatusCode::kUnsupported, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {StatusCode::kAlreadyExists, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) { return {StatusCode::kFailedPrecondition, std::move(msg)}; }
  static Status Unauthenticated(std::string msg) { return {StatusCode::kUnauthenticated, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) { return {StatusCode::kResourceExhausted, std::move(msg)}; }
  static Status Cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
  // Any code with a new message (e.g. an error passed on with more said about it).
  static Status Of(StatusCode code, std::string msg) { return {code, std::move(msg)}; }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ == nullptr ? StatusCode::kOk : rep_->code; }
  const std::string& message() const;

  // "Corruption: section 2 checksum mismatch" — suitable for a one-line CLI error.
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>"; OK stays OK.
  Status WithContext(const std::string& prefix) const;

 private:
  Status(StatusCode code, std::string msg);

  // An OK Status is a null pointer: passing one back, testing it and dropping it is a few
  // instructions at each of the thousands of call sites, and an error costs one allocation.
  struct Rep {
    StatusCode code;
    std::string message;
  };
  struct RepDeleter {
    void operator()(Rep* rep) const;  // out of line, so call sites do not inline ~std::string
  };
  std::unique_ptr<Rep, RepDeleter> rep_;
};

// Either a T or a non-OK Status. Accessing value() of an error is a programming error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {   // NOLINT: implicit by design
    assert(!status_.ok() && "Result constructed from an OK Status without a value");
    if (status_.ok()) status_ = Status::Internal("Result built from OK status without a value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace kinglet

// Propagates a non-OK Status to the caller.
#define KINGLET_RETURN_IF_ERROR(expr)               \
  do {                                              \
    ::kinglet::Status kinglet_status_ = (expr);     \
    if (!kinglet_status_.ok()) return kinglet_status_; \
  } while (0)

#define KINGLET_CONCAT_INNER_(a, b) a##b
#define KINGLET_CONCAT_(a, b) KINGLET_CONCAT_INNER_(a, b)

// Declares `lhs` from a Result, or returns its Status.
#define KINGLET_ASSIGN_OR_RETURN(lhs, expr) \
  KINGLET_ASSIGN_OR_RETURN_IMPL_(KINGLET_CONCAT_(kinglet_result_, __LINE__), lhs, expr)
#define KINGLET_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
