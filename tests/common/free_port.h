// A loopback TCP port nothing listens on at the moment of asking (for servers started by tests
// and benchmarks; another process may still take it before they bind).
#pragma once

namespace kinglet::testing {

int FreePort();

}  // namespace kinglet::testing
