#include "intercepting_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace kinglet::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string Serialize(const http::response<http::string_body>& res, size_t body_bytes) {
  std::string out = "HTTP/1.1 " + std::to_string(res.result_int()) + " " + std::string(res.reason()) + "\r\n";
  for (const auto& field : res) {
    if (field.name() == http::field::content_length || field.name() == http::field::connection) continue;
    out += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
  }
  out += "Content-Length: " + std::to_string(res.body().size()) + "\r\nConnection: close\r\n\r\n";
  out += res.body().substr(0, body_bytes);
  return out;
}

}  // namespace

InterceptingProxy::InterceptingProxy(std::string upstream) : upstream_(std::move(upstream)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

InterceptingProxy::~InterceptingProxy() {
  stopping_ = true;
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers.swap(workers_);
  }
  for (std::thread& t : workers) t.join();
}

void InterceptingProxy::SetManifestRewrite(std::function<std::string(const std::string&)> rewrite) {
  std::lock_guard<std::mutex> lock(mu_);
  manifest_rewrite_ = std::move(rewrite);
}

void InterceptingProxy::CutNextBlobAfter(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  cut_next_blob_ = bytes;
}

std::vector<std::string> InterceptingProxy::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void InterceptingProxy::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void InterceptingProxy::Serve(int client_fd) {
  asio::io_context io;
  tcp::socket client(io, tcp::v4(), client_fd);
  beast::error_code ec;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::read(client, buffer, req, ec);
  if (ec) return;
  const std::string target(req.target());
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto range = req.find(http::field::range);
    requests_.push_back(std::string(req.method_string()) + " " + target +
                        (range == req.end() ? "" : " " + std::string(range->value())));
  }

  {
    // A rewritten manifest must reach the device even when it holds the genuine one.
    std::lock_guard<std::mutex> lock(mu_);
    if (manifest_rewrite_ && target.find("/manifest") != std::string::npos) req.erase(http::field::if_none_match);
  }
  // Forward to kingletd over a fresh connection.
  tcp::resolver resolver(io);
  const size_t colon = upstream_.rfind(':');
  tcp::socket upstream(io);
  asio::connect(upstream, resolver.resolve(upstream_.substr(0, colon), upstream_.substr(colon + 1)), ec);
  if (ec) return;
  req.keep_alive(false);
  http::write(upstream, req, ec);
  http::response<http::string_body> res;
  beast::flat_buffer upstream_buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 30);
  http::read(upstream, upstream_buffer, parser, ec);
  if (ec) return;
  res = parser.release();

  size_t send_body = res.body().size();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (target.find("/manifest") != std::string::npos && res.result_int() == 200 && manifest_rewrite_) {
      res.body() = manifest_rewrite_(res.body());
      send_body = res.body().size();
    }
    if (target.rfind("/v1/blobs/", 0) == 0 && cut_next_blob_ > 0 && cut_next_blob_ < res.body().size()) {
      send_body = cut_next_blob_;
      cut_next_blob_ = 0;
    }
  }
  asio::write(client, asio::buffer(Serialize(res, send_body)), ec);
  client.shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace kinglet::testing
