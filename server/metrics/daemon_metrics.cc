#include "metrics/daemon_metrics.h"

#include <sstream>

namespace kinglet::server {

void DaemonMetrics::CountRequest(const char* route, unsigned status, uint64_t response_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, status}];
  response_bytes_[route] += response_bytes;
}

void DaemonMetrics::CountTelemetryBatch(const char* outcome, uint64_t entries_stored, uint64_t entries_dropped) {
  std::lock_guard<std::mutex> lock(mu_);
  ++telemetry_batches_[outcome];
  telemetry_entries_stored_ += entries_stored;
  telemetry_entries_dropped_ += entries_dropped;
}

void DaemonMetrics::CountUpload(const char* outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  ++uploads_[outcome];
}

std::string DaemonMetrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  out << "# HELP kinglet_http_requests_total HTTP requests answered, by route and status code.\n"
         "# TYPE kinglet_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out << "kinglet_http_requests_total{route=\"" << key.first << "\",code=\"" << key.second << "\"} " << n << "\n";
  }
  out << "# HELP kinglet_http_response_bytes_total Response body bytes sent, by route.\n"
         "# TYPE kinglet_http_response_bytes_total counter\n";
  for (const auto& [route, n] : response_bytes_) {
    out << "kinglet_http_response_bytes_total{route=\"" << route << "\"} " << n << "\n";
  }
  out << "# HELP kinglet_telemetry_batches_total Telemetry batches received, by outcome.\n"
         "# TYPE kinglet_telemetry_batches_total counter\n";
  for (const auto& [outcome, n] : telemetry_batches_) {
    out << "kinglet_telemetry_batches_total{outcome=\"" << outcome << "\"} " << n << "\n";
  }
  out << "# HELP kinglet_telemetry_entries_total Telemetry entries (model versions) by fate.\n"
         "# TYPE kinglet_telemetry_entries_total counter\n"
         "kinglet_telemetry_entries_total{fate=\"stored\"} " << telemetry_entries_stored_ << "\n"
         "kinglet_telemetry_entries_total{fate=\"dropped\"} " << telemetry_entries_dropped_ << "\n";
  out << "# HELP kinglet_uploads_total Model uploads finished, by outcome.\n"
         "# TYPE kinglet_uploads_total counter\n";
  for (const auto& [outcome, n] : uploads_) out << "kinglet_uploads_total{outcome=\"" << outcome << "\"} " << n << "\n";
  return out.str();
}

}  // namespace kinglet::server
