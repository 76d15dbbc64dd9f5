#include "delivery/http_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>

namespace kinglet::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(30);

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpHandler* handler) : stream_(std::move(socket)), handler_(handler) {}

  void Start() {
    // Responses go out in several writes (headers, then the body in pieces); without NODELAY,
    // Nagle holds the tail until the peer's delayed ACK, ~40 ms per response.
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    ReadNext();
  }

 private:
  void ReadNext() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(64 * 1024);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return WriteString(http::status::payload_too_large, R"({"error":"request body over 64 KiB"})", false, 11);
    }
    if (ec) {
      // A malformed request gets a 400 before the connection closes.
      return WriteString(http::status::bad_request, R"({"error":"malformed HTTP request"})", false, 11);
    }
    const auto& req = parser_->get();
    HttpRequestView view;
    view.method = std::string(req.method_string());
    view.target = std::string(req.target());
    view.header = [&req](const std::string& name) {
      auto it = req.find(name);
      return it == req.end() ? std::string() : std::string(it->value());
    };
    view.body = req.body();
    beast::error_code peer_ec;
    const auto remote = stream_.socket().remote_endpoint(peer_ec);
    if (!peer_ec) view.peer = remote.address().to_string();
    const HttpReply reply = (*handler_)(view);
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    const bool head = req.method() == http::verb::head;
    if (head && (reply.shared_body != nullptr || !reply.file_path.empty())) {
      auto res = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(reply.status), version);
      for (const auto& [k, v] : reply.headers) res->set(k, v);
      res->keep_alive(keep_alive);
      res->content_length(reply.file_length);
      return Write(res);
    }
    if (reply.shared_body != nullptr) {
      // One write from memory; the shared bytes live until the write completes.
      auto res = std::make_shared<http::response<http::span_body<char const>>>(static_cast<http::status>(reply.status),
                                                                              version);
      for (const auto& [k, v] : reply.headers) res->set(k, v);
      res->body() = http::span_body<char const>::value_type(reply.shared_body->data() + reply.file_offset,
                                                             reply.file_length);
      res->keep_alive(keep_alive);
      res->prepare_payload();
      return Write(res, reply.shared_body);
    }
    if (reply.file_path.empty()) {
      auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(reply.status), version);
      for (const auto& [k, v] : reply.headers) res->set(k, v);
      res->body() = head ? std::string() : reply.body;
      res->keep_alive(keep_alive);
      if (reply.status != 304) res->prepare_payload();  // a 304 carries no Content-Length of its own
      if (head) res->content_length(reply.body.size());
      return Write(res);
    }
    if (reply.file_offset == 0 && reply.status == 200) {
      auto res = std::make_shared<http::response<http::file_body>>(static_cast<http::status>(reply.status), version);
      beast::error_code open_ec;
      res->body().open(reply.file_path.c_str(), beast::file_mode::scan, open_ec);
      if (open_ec) return WriteString(http::status::not_found, R"({"error":"blob vanished"})", keep_alive, version);
      for (const auto& [k, v] : reply.headers) res->set(k, v);
      res->keep_alive(keep_alive);
      res->prepare_payload();
      return Write(res);
    }
    // A byte range (a resumed download): streamed from the file in pieces, never held whole.
    const int fd = ::open(reply.file_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return WriteString(http::status::not_found, R"({"error":"blob vanished"})", keep_alive, version);
    auto range = std::make_shared<RangeWrite>(fd, reply.file_offset, reply.file_length);
    range->response = http::response<http::buffer_body>(static_cast<http::status>(reply.status), version);
    for (const auto& [k, v] : reply.headers) range->response.set(k, v);
    range->response.keep_alive(keep_alive);
    range->response.content_length(reply.file_length);
    range->response.body().data = nullptr;
    range->response.body().more = true;
    range->serializer.emplace(range->response);
    stream_.expires_after(kIdleTimeout);
    http::async_write_header(stream_, *range->serializer,
                             [self = shared_from_this(), range](beast::error_code ec, size_t) {
                               if (ec) return self->Close();
                               self->WriteRangePiece(range);
                             });
  }

  // A file slice being sent: the open file, where the next piece starts, what is left.
  struct RangeWrite {
    RangeWrite(int fd, uint64_t offset, uint64_t length) : fd(fd), offset(offset), left(length) {}
    ~RangeWrite() { ::close(fd); }
    int fd;
    uint64_t offset;
    uint64_t left;
    char piece[64 * 1024];
    http::response<http::buffer_body> response;
    std::optional<http::response_serializer<http::buffer_body>> serializer;
  };

  void WriteRangePiece(const std::shared_ptr<RangeWrite>& range) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(range->left, sizeof range->piece));
    const ssize_t n = want == 0 ? 0 : ::pread(range->fd, range->piece, want, static_cast<off_t>(range->offset));
    if (n < 0 || static_cast<size_t>(n) != want) return Close();  // the headers are out: all we can do
    range->offset += want;
    range->left -= want;
    range->response.body().data = want == 0 ? nullptr : range->piece;
    range->response.body().size = want;
    range->response.body().more = range->left > 0;
    stream_.expires_after(kIdleTimeout);
    http::async_write(stream_, *range->serializer, [self = shared_from_this(), range](beast::error_code ec, size_t) {
      if (ec == http::error::need_buffer) return self->WriteRangePiece(range);
      if (ec || !range->response.keep_alive()) return self->Close();
      self->ReadNext();
    });
  }

  void WriteString(http::status status, const std::string& body, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(status, version);
    res->set(http::field::content_type, "application/json");
    res->body() = body + "\n";
    res->keep_alive(keep_alive);
    res->prepare_payload();
    Write(res);
  }

  // `keep` holds whatever the response body points into until the write is done.
  template <class Response>
  void Write(std::shared_ptr<Response> res, std::shared_ptr<const void> keep = nullptr) {
    stream_.expires_after(kIdleTimeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) return self->Close();
      self->ReadNext();
    });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpHandler* handler_;
};

}  // namespace

struct HttpServer::Impl {
  HttpHandler handler;
  HttpServerOptions options;
  asio::io_context io;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;

  void Accept() {
    acceptor->async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), &handler)->Start();
      Accept();
    });
  }
};

HttpServer::HttpServer(HttpHandler handler, HttpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  const std::string& listen = impl_->options.listen;
  const size_t colon = listen.rfind(':');
  beast::error_code ec;
  const auto address = asio::ip::make_address(listen.substr(0, colon), ec);
  if (ec) return Status::InvalidArgument("--http-listen host must be an IP address, got '" + listen + "'");
  const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));
  tcp::endpoint endpoint(address, port);
  auto& acceptor = impl_->acceptor.emplace(impl_->io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("cannot listen for HTTP on " + listen + ": " + ec.message());
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->options.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  if (impl_->threads.empty()) return;
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor->close(ignored);
  });
  impl_->io.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace kinglet::server
