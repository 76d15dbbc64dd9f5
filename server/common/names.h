// What identifiers from outside may look like. Everything a client names (models, device
// classes, upload ids) goes through one of these before it touches a path or a query, so "../",
// NUL bytes, slashes and megabyte-long names never get further than the request parser.
#pragma once

#include <string_view>

#include "kinglet/status.h"

namespace kinglet::server {

// Models and device classes: 1..64 of [a-z0-9-], starting with a letter.
Status ValidateName(std::string_view name, std::string_view what);

// Upload ids: 16..64 of [A-Za-z0-9_-].
Status ValidateUploadId(std::string_view id);

// Device ids (chosen by the device; the SDK's are random hex): 1..128 of [A-Za-z0-9._:-].
Status ValidateDeviceId(std::string_view id);

}  // namespace kinglet::server
