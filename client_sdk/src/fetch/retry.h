// How the SDK retries: transport failures, 5xx and 429 are worth another try after a backoff
// that doubles each time (with full jitter, so a fleet of phones that lost the server at once
// does not come back in lockstep); any other answer is final.
#pragma once

#include <chrono>

#include "net/http_client.h"

namespace kinglet::sdk {

struct RetryPolicy {
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
};

// Sleeps before attempt `attempt` (1-based; attempt 1 does not wait).
void BackOff(const RetryPolicy& policy, int attempt);

bool IsRetryableStatus(unsigned http_status);

// Send() again while the failure is retryable and attempts remain.
Result<HttpResponse> SendWithRetries(HttpClient& client, const HttpRequest& request, const RetryPolicy& policy,
                                     uint64_t max_body_bytes = 1 << 20);

}  // namespace kinglet::sdk
