#include "kinglet/status.h"

namespace kinglet {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "Invalid argument";
    case StatusCode::kNotFound: return "Not found";
    case StatusCode::kCorruption: return "Corruption";
    case StatusCode::kUnsupported: return "Unsupported";
    case StatusCode::kIOError: return "IO error";
    case StatusCode::kInternal: return "Internal error";
    case StatusCode::kAlreadyExists: return "Already exists";
    case StatusCode::kFailedPrecondition: return "Failed precondition";
    case StatusCode::kUnauthenticated: return "Unauthenticated";
    case StatusCode::kResourceExhausted: return "Resource exhausted";
    case StatusCode::kCancelled: return "Cancelled";
  }
  return "Unknown";
}

Status::Status(StatusCode code, std::string msg) {
  if (code != StatusCode::kOk) rep_.reset(new Rep{code, std::move(msg)});
}

Status::Status(const Status& other) {
  if (other.rep_ != nullptr) rep_.reset(new Rep(*other.rep_));
}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_.reset(other.rep_ == nullptr ? nullptr : new Rep(*other.rep_));
  return *this;
}

void Status::RepDeleter::operator()(Rep* rep) const { delete rep; }

const std::string& Status::message() const {
  static const std::string* const kEmpty = new std::string();  // never destroyed: usable at exit
  return rep_ == nullptr ? *kEmpty : rep_->message;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(rep_->code)) + ": " + rep_->message;
}

Status Status::WithContext(const std::string& prefix) const {
  if (ok()) return *this;
  return Status(rep_->code, prefix + ": " + rep_->message);
}

}  // namespace kinglet
