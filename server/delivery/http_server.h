// HTTP/1.1 on Boost.Beast: keep-alive, pipelined requests answered in order, 30 s idle timeout,
// 16 KiB header limit, request bodies refused over 64 KiB (413). File bodies are streamed from
// disk, never loaded whole.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "delivery/http_message.h"
#include "kinglet/status.h"

namespace kinglet::server {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT
  int threads = 2;
};

class HttpServer {
 public:
  HttpServer(HttpHandler handler, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads.
  Status Start();
  // Closes the listener and every connection; joins the threads.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kinglet::server
