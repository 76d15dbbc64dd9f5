// A small blocking HTTP/1.1 client on Boost.Asio/Beast for the SDK's manifest, blob and
// telemetry requests: one request per connection, a timeout on every network step (a stalled
// server cannot hang an app), bodies bounded or streamed to a sink, and `https` with the
// peer's certificate verified against the system's trust store (or a given CA file) and the
// URL's host name.
//
// Thread-safe: requests on one client may run concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kinglet/status.h"
#include "net/url.h"

namespace kinglet::sdk {

struct HttpRequest {
  std::string method = "GET";
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when non-empty or when the method is POST
};

struct HttpResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;                            // empty when a sink took the bytes
};

struct HttpClientOptions {
  // Every step (resolve, connect, handshake, each read or write) must progress within this.
  std::chrono::milliseconds step_timeout{10000};
  // And the whole request must end within this (a server dripping bytes cannot hold it).
  std::chrono::milliseconds request_timeout{600000};
  // When set and true, requests stop at their next step with Cancelled (app shutdown).
  const std::atomic<bool>* cancel = nullptr;
  // PEM file of CAs to trust for https instead of the system's store; "" = system store.
  std::string ca_file;
  std::string user_agent = "kinglet-sdk/1";
};

// Receives body bytes as they arrive; a non-OK Status aborts the request with it.
using BodySink = std::function<Status(const char* data, size_t size)>;
// Sees the status and headers before any body byte reaches the sink.
using HeadHandler = std::function<Status(const HttpResponse& head)>;

class HttpClient {
 public:
  // Fails if the TLS context cannot be set up (unreadable CA file).
  static Result<std::unique_ptr<HttpClient>> Create(HttpClientOptions options);
  ~HttpClient();

  // The response, whatever its status. Transport failures (refused, timed out, TLS refused,
  // malformed response) are IOError naming the URL. Without a sink, a body over
  // `max_body_bytes` is ResourceExhausted.
  Result<HttpResponse> Send(const HttpRequest& request, uint64_t max_body_bytes = 1 << 20,
                            const BodySink& sink = nullptr, const HeadHandler& on_head = nullptr);

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kinglet::sdk
