#include "net/url.h"

#include <gtest/gtest.h>

namespace kinglet::sdk {
namespace {

TEST(UrlTest, SplitsWhatAConnectionNeeds) {
  auto a = Url::Parse("http://127.0.0.1:8080/v1/blobs/ab?x=1");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "8080");
  EXPECT_EQ(a->target, "/v1/blobs/ab?x=1");
  auto b = Url::Parse("https://models.example.com");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, "443");
  EXPECT_EQ(b->target, "/");
  auto c = Url::Parse("http://[::1]:9000/x");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, "9000");
}

TEST(UrlTest, RefusesWhatItCannotUseSafely) {
  for (const char* bad : {"ftp://x/", "http://", "http://user@host/", "http://host:0/", "http://host:99999/",
                          "http://host:12a/", "http://host/#frag", "http://[::1/", "models.example.com"}) {
    EXPECT_FALSE(Url::Parse(bad).ok()) << bad;
  }
}

TEST(UrlTest, PercentEncodesAllButUnreserved) {
  EXPECT_EQ(PercentEncode("arm64-low_1.x~"), "arm64-low_1.x~");
  EXPECT_EQ(PercentEncode("a b&c=/"), "a%20b%26c%3D%2F");
}

}  // namespace
}  // namespace kinglet::sdk
