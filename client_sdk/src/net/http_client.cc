#include "net/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <limits>

namespace kinglet::sdk {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// Runs one asynchronous step to completion on a private io_context: the blocking calls of
// Asio cannot time out, its asynchronous ones (through beast::tcp_stream) can.
template <class Start>
beast::error_code RunStep(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::operation_aborted;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

using Clock = std::chrono::steady_clock;

// The time the next step may take: the step timeout, or what is left of the request's.
struct Budget {
  const HttpClientOptions& options;
  Clock::time_point deadline;

  Status Arm(beast::tcp_stream& tcp) const {
    if (options.cancel != nullptr && options.cancel->load()) return Status::Cancelled("the SDK is shutting down");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Status::IOError("the request took longer than its overall timeout");
    tcp.expires_after(std::min(options.step_timeout, left));
    return Status::Ok();
  }
};

std::string Describe(const HttpRequest& request) {
  return (request.url.tls ? "https://" : "http://") + request.url.host + ":" + request.url.port +
         request.url.target.substr(0, 120);
}

Status TransportError(const HttpRequest& request, const std::string& what, const beast::error_code& ec) {
  std::string message = ec == beast::error::timeout ? "timed out" : ec.message();
  return Status::IOError(what + " " + Describe(request) + ": " + message);
}

// Writes the request and reads the response over an open stream (plain or TLS).
template <class Stream>
Result<HttpResponse> Exchange(asio::io_context& io, Stream& stream, beast::tcp_stream& tcp,
                              const HttpRequest& request, const HttpClientOptions& options, const Budget& budget,
                              uint64_t max_body_bytes, const BodySink& sink, const HeadHandler& on_head) {
  http::request<http::string_body> req{http::string_to_verb(request.method), request.url.target, 11};
  req.set(http::field::host, request.url.host);
  req.set(http::field::user_agent, options.user_agent);
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.body() = request.body;
  if (!request.body.empty() || request.method == "POST") req.prepare_payload();

  KINGLET_RETURN_IF_ERROR(budget.Arm(tcp));
  beast::error_code ec = RunStep(io, [&](auto handler) { http::async_write(stream, req, handler); });
  if (ec) return TransportError(request, "cannot send the request to", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // bounded below, or by the sink
  parser.header_limit(64 * 1024);
  KINGLET_RETURN_IF_ERROR(budget.Arm(tcp));
  ec = RunStep(io, [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); });
  if (ec) return TransportError(request, "no valid response from", ec);

  HttpResponse response;
  response.status = parser.get().result_int();
  for (const auto& field : parser.get()) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    response.headers[name] = std::string(field.value());
  }
  if (on_head) KINGLET_RETURN_IF_ERROR(on_head(response));
  uint64_t received = 0;
  char chunk[64 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    KINGLET_RETURN_IF_ERROR(budget.Arm(tcp));
    ec = RunStep(io, [&](auto handler) { http::async_read_some(stream, buffer, parser, handler); });
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return TransportError(request, "the response was cut off by", ec);
    const size_t n = sizeof chunk - parser.get().body().size;
    received += n;
    if (sink) {
      KINGLET_RETURN_IF_ERROR(sink(chunk, n));
    } else {
      if (received > max_body_bytes) {
        return Status::ResourceExhausted("the response from " + Describe(request) + " is larger than " +
                                         std::to_string(max_body_bytes) + " bytes");
      }
      response.body.append(chunk, n);
    }
  }
  return response;
}

}  // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  ssl::context tls{ssl::context::tls_client};
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  beast::error_code ec;
  impl->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  impl->tls.set_verify_mode(ssl::verify_peer);
  if (impl->options.ca_file.empty()) {
    impl->tls.set_default_verify_paths(ec);
  } else {
    impl->tls.load_verify_file(impl->options.ca_file, ec);
  }
  if (ec) {
    return Status::InvalidArgument("cannot load the TLS trust store" +
                                   (impl->options.ca_file.empty() ? std::string() : " '" + impl->options.ca_file + "'") +
                                   ": " + ec.message());
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request, uint64_t max_body_bytes, const BodySink& sink,
                                      const HeadHandler& on_head) {
  const HttpClientOptions& options = impl_->options;
  const Budget budget{options, Clock::now() + options.request_timeout};
  if (options.cancel != nullptr && options.cancel->load()) return Status::Cancelled("the SDK is shutting down");
  asio::io_context io;
  tcp::resolver resolver(io);
  tcp::resolver::results_type endpoints;
  beast::error_code ec = asio::error::timed_out;
  resolver.async_resolve(request.url.host, request.url.port,
                         [&](beast::error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                         });
  io.run_for(options.step_timeout);
  if (!io.stopped()) {  // DNS did not answer in time
    resolver.cancel();
    io.restart();
    io.run();
    ec = beast::error::timeout;
  }
  if (ec) return TransportError(request, "cannot resolve", ec);

  if (!request.url.tls) {
    beast::tcp_stream stream(io);
    KINGLET_RETURN_IF_ERROR(budget.Arm(stream));
    ec = RunStep(io, [&](auto handler) { stream.async_connect(endpoints, handler); });
    if (ec) return TransportError(request, "cannot connect to", ec);
    return Exchange(io, stream, stream, request, options, budget, max_body_bytes, sink, on_head);
  }

  beast::ssl_stream<beast::tcp_stream> stream(io, impl_->tls);
  // SNI, and the certificate must name the host we asked for.
  if (!SSL_set_tlsext_host_name(stream.native_handle(), request.url.host.c_str()) ||
      !SSL_set1_host(stream.native_handle(), request.url.host.c_str())) {
    return Status::Internal("cannot set the TLS host name for " + Describe(request));
  }
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  KINGLET_RETURN_IF_ERROR(budget.Arm(tcp));
  ec = RunStep(io, [&](auto handler) { tcp.async_connect(endpoints, handler); });
  if (ec) return TransportError(request, "cannot connect to", ec);
  KINGLET_RETURN_IF_ERROR(budget.Arm(tcp));
  ec = RunStep(io, [&](auto handler) { stream.async_handshake(ssl::stream_base::client, handler); });
  if (ec) return TransportError(request, "TLS handshake refused (is the certificate trusted?) with", ec);
  return Exchange(io, stream, tcp, request, options, budget, max_body_bytes, sink, on_head);
}

}  // namespace kinglet::sdk
