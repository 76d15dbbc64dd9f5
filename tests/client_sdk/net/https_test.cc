// The SDK's https: a real TLS server (openssl s_server) with a certificate for "localhost".
// Trusted and matching: served. Untrusted, or trusted but for another name: refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "common/free_port.h"
#include "net/http_client.h"

namespace kinglet::sdk {
namespace {


class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl > /dev/null") != 0) GTEST_SKIP() << "needs the openssl command";
    char pattern[] = "/tmp/kinglet-https-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    const std::string make_cert =
        "cd " + dir_ + " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout key.pem -out cert.pem 2>/dev/null "
        "&& mkdir -p v1 && printf 'hello over tls' > v1/greeting";
    ASSERT_EQ(std::system(make_cert.c_str()), 0);
    port_ = kinglet::testing::FreePort();
    server_ = ::fork();
    if (server_ == 0) {
      if (::chdir(dir_.c_str()) != 0) ::_exit(127);
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      ::execlp("openssl", "openssl", "s_server", "-accept", std::to_string(port_).c_str(), "-cert", "cert.pem", "-key",
               "key.pem", "-WWW", "-quiet", nullptr);
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  void TearDown() override {
    if (server_ > 0) {
      ::kill(server_, SIGTERM);
      ::waitpid(server_, nullptr, 0);
    }
    if (!dir_.empty()) std::system(("rm -rf " + dir_).c_str());
  }

  Result<HttpResponse> Get(const std::string& host, const std::string& ca_file) {
    HttpClientOptions options;
    options.ca_file = ca_file;
    options.step_timeout = std::chrono::milliseconds(3000);
    auto client = HttpClient::Create(options);
    if (!client.ok()) return client.status();
    HttpRequest request;
    request.url = *Url::Parse("https://" + host + ":" + std::to_string(port_) + "/v1/greeting");
    Result<HttpResponse> last = Status::IOError("not tried");
    for (int i = 0; i < 20; ++i) {  // s_server may still be starting
      last = (*client)->Send(request);
      if (last.ok() || last.status().message().find("connect") == std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return last;
  }

  std::string dir_;
  int port_ = 0;
  pid_t server_ = -1;
};

TEST_F(HttpsTest, ATrustedCertificateForTheHostIsAccepted) {
  auto response = Get("localhost", dir_ + "/cert.pem");
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, "hello over tls");
}

TEST_F(HttpsTest, AnUntrustedCertificateIsRefused) {
  auto response = Get("localhost", "");  // the system store does not know our self-signed CA
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kIOError);
  EXPECT_NE(response.status().message().find("TLS handshake refused"), std::string::npos)
      << response.status().ToString();
}

TEST_F(HttpsTest, ACertificateForAnotherNameIsRefused) {
  auto response = Get("127.0.0.1", dir_ + "/cert.pem");  // trusted, but issued to "localhost"
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.status().message().find("TLS handshake refused"), std::string::npos)
      << response.status().ToString();
}

TEST_F(HttpsTest, AnUnreadableTrustStoreIsAConfigurationError) {
  HttpClientOptions options;
  options.ca_file = dir_ + "/missing.pem";
  auto client = HttpClient::Create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kinglet::sdk
