#include "fetch/retry.h"

#include <algorithm>
#include <random>
#include <thread>

namespace kinglet::sdk {

void BackOff(const RetryPolicy& policy, int attempt) {
  if (attempt <= 1) return;
  const int doublings = std::min(attempt - 2, 20);
  const auto ceiling = std::min<std::chrono::milliseconds::rep>(policy.initial_backoff.count() << doublings,
                                                                 policy.max_backoff.count());
  thread_local std::minstd_rand random(std::random_device{}());
  std::uniform_int_distribution<std::chrono::milliseconds::rep> pick(ceiling / 2, std::max<long>(ceiling, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(pick(random)));
}

bool IsRetryableStatus(unsigned http_status) { return http_status >= 500 || http_status == 429; }

Result<HttpResponse> SendWithRetries(HttpClient& client, const HttpRequest& request, const RetryPolicy& policy,
                                     uint64_t max_body_bytes) {
  Result<HttpResponse> last = Status::Internal("no attempt made");
  for (int attempt = 1; attempt <= std::max(1, policy.max_attempts); ++attempt) {
    BackOff(policy, attempt);
    last = client.Send(request, max_body_bytes);
    if (last.ok() && !IsRetryableStatus(last->status)) return last;
    if (!last.ok() && last.status().code() != StatusCode::kIOError) return last;
  }
  return last;
}

}  // namespace kinglet::sdk
