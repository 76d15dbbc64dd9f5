#include "http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace kinglet::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

HttpResult HttpGet(const std::string& address, const std::string& target,
                   const std::map<std::string, std::string>& headers, const std::string& method) {
  HttpResult result;
  try {
    asio::io_context io;
    const size_t colon = address.rfind(':');
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(resolver.resolve(address.substr(0, colon), address.substr(colon + 1)));
    http::request<http::empty_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, address);
    for (const auto& [k, v] : headers) req.set(k, v);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256 << 20);
    if (method == "HEAD") parser.skip(true);
    http::read(stream, buffer, parser);
    const auto& res = parser.get();
    result.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      result.headers[name] = std::string(field.value());
    }
    result.body = res.body();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

std::string HttpRaw(const std::string& address, const std::string& raw) {
  try {
    asio::io_context io;
    const size_t colon = address.rfind(':');
    tcp::resolver resolver(io);
    tcp::socket socket(io);
    asio::connect(socket, resolver.resolve(address.substr(0, colon), address.substr(colon + 1)));
    asio::write(socket, asio::buffer(raw));
    std::string out;
    beast::error_code ec;
    char buffer[4096];
    while (true) {
      const size_t n = socket.read_some(asio::buffer(buffer), ec);
      if (ec) break;
      out.append(buffer, n);
    }
    return out;
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

}  // namespace kinglet::testing
