#include "common/names.h"

#include <string>

namespace kinglet::server {
namespace {

// Shows a bad identifier safely: printable ASCII only, at most 40 characters.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 40) out += "...";
  return out;
}

}  // namespace

Status ValidateName(std::string_view name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (ok) return Status::Ok();
  return Status::InvalidArgument(std::string(what) + " '" + Printable(name) +
                                 "' is not valid: use 1-64 lowercase letters, digits and '-', starting with a letter");
}

Status ValidateUploadId(std::string_view id) {
  bool ok = id.size() >= 16 && id.size() <= 64;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument("upload id '" + Printable(id) + "' is not valid: use 16-64 of [A-Za-z0-9_-]");
}

Status ValidateDeviceId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 128;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                c == '.' || c == ':');
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument("device id '" + Printable(id) + "' is not valid: use 1-128 of [A-Za-z0-9._:-]");
}

}  // namespace kinglet::server
