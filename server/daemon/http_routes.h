// Which HTTP endpoint serves a request, and the request/byte counters every reply passes.
#pragma once

#include "delivery/delivery_service.h"
#include "delivery/http_message.h"
#include "metrics/daemon_metrics.h"
#include "telemetry/telemetry_service.h"

namespace kinglet::server {

class HttpRoutes {
 public:
  HttpRoutes(DeliveryService* delivery, TelemetryService* telemetry, DaemonMetrics* metrics)
      : delivery_(delivery), telemetry_(telemetry), metrics_(metrics) {}

  HttpReply Handle(const HttpRequestView& request);

 private:
  HttpReply Dispatch(const HttpRequestView& request, const char** route);

  DeliveryService* delivery_;
  TelemetryService* telemetry_;
  DaemonMetrics* metrics_;
};

}  // namespace kinglet::server
