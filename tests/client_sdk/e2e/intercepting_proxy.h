// An HTTP proxy on loopback between the SDK and kingletd that can misbehave on purpose: swap a
// manifest's body (tampered, replayed, expired), cut a blob download mid-way, or refuse all
// connections as if the server were down. One request per connection, as the SDK sends them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kinglet::testing {

class InterceptingProxy {
 public:
  explicit InterceptingProxy(std::string upstream);  // kingletd's HOST:PORT
  ~InterceptingProxy();

  std::string url() const { return "http://" + address_; }

  // Rewrites the body of every manifest response (200s only) while set.
  void SetManifestRewrite(std::function<std::string(const std::string& body)> rewrite);
  // The next blob response sends only its first `bytes` body bytes, then drops the connection.
  void CutNextBlobAfter(uint64_t bytes);
  // Every request line seen, with its Range header if any ("GET /v1/blobs/.. bytes=10-").
  std::vector<std::string> requests() const;

 private:
  void AcceptLoop();
  void Serve(int client_fd);

  std::string upstream_;
  std::string address_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;                                 // guarded by mu_
  std::function<std::string(const std::string&)> manifest_rewrite_;  // guarded by mu_
  uint64_t cut_next_blob_ = 0;                                       // guarded by mu_; 0 = none
  std::vector<std::string> requests_;                                // guarded by mu_
};

}  // namespace kinglet::testing
