#include "daemon/http_routes.h"

namespace kinglet::server {
namespace {

HttpReply MethodNotAllowed(const char* allow) {
  HttpReply r = ErrorReply(405, std::string("this endpoint takes ") + allow);
  r.headers.push_back({"Allow", allow});
  return r;
}

bool IsRead(const HttpRequestView& request) { return request.method == "GET" || request.method == "HEAD"; }

}  // namespace

HttpReply HttpRoutes::Handle(const HttpRequestView& request) {
  const char* route = "other";
  HttpReply reply = Dispatch(request, &route);
  const uint64_t bytes = reply.shared_body != nullptr || !reply.file_path.empty() ? reply.file_length : reply.body.size();
  metrics_->CountRequest(route, reply.status, request.method == "HEAD" ? 0 : bytes);
  return reply;
}

HttpReply HttpRoutes::Dispatch(const HttpRequestView& request, const char** route) {
  // Routing needs the path only; the query is decoded by the endpoint that reads it (delivery
  // decodes its own, so the hot manifest path parses the target once).
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/v1/telemetry") {
    *route = "telemetry";
    return request.method == "POST" ? telemetry_->Ingest(request) : MethodNotAllowed("POST");
  }
  if (path == "/metrics") {
    *route = "metrics";
    return IsRead(request) ? telemetry_->Metrics() : MethodNotAllowed("GET, HEAD");
  }
  if (path == "/dashboard") {
    *route = "dashboard";
    return IsRead(request) ? telemetry_->Dashboard() : MethodNotAllowed("GET, HEAD");
  }
  if (path == "/v1/telemetry/summary") {
    *route = "telemetry_summary";
    if (!IsRead(request)) return MethodNotAllowed("GET, HEAD");
    std::string ignored;
    std::map<std::string, std::string> query;
    if (!SplitTarget(request.target, &ignored, &query)) {
      return ErrorReply(400, "malformed percent-encoding in the query");
    }
    return telemetry_->Summary(query);
  }
  if (path.rfind("/v1/blobs/", 0) == 0) {
    *route = "blob";
  } else if (path.rfind("/v1/models/", 0) == 0) {
    *route = "manifest";
  } else if (path == "/v1/keys") {
    *route = "keys";
  } else if (path == "/v1/device-classes") {
    *route = "device_classes";
  } else if (path == "/healthz") {
    *route = "healthz";
  }
  return delivery_->Handle(request);
}

}  // namespace kinglet::server
