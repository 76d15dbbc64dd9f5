// The /dashboard page: one self-contained HTML document (inline script and SVG, nothing
// fetched from elsewhere, so it works on an air-gapped operator network) that draws the
// data of /v1/telemetry/summary.
#pragma once

#include <string>

namespace kinglet::server {

const std::string& DashboardPage();

}  // namespace kinglet::server
