#include "delivery/blob_cache.h"

#include <gtest/gtest.h>

namespace kinglet::server {
namespace {

std::shared_ptr<const std::string> Bytes(size_t n, char c) { return std::make_shared<const std::string>(n, c); }

TEST(BlobCacheTest, EvictsLeastRecentlyUsedToStayWithinCapacity) {
  BlobCache cache(800);  // entries up to 100 bytes
  cache.Put("a", Bytes(100, 'a'));
  cache.Put("b", Bytes(100, 'b'));
  for (int i = 0; i < 6; ++i) cache.Put("x" + std::to_string(i), Bytes(100, 'x'));
  EXPECT_EQ(cache.bytes(), 800u);
  ASSERT_NE(cache.Get("a"), nullptr);  // a is now the most recent
  cache.Put("c", Bytes(100, 'c'));     // evicts b, the least recent
  EXPECT_EQ(cache.Get("b"), nullptr);
  EXPECT_EQ(*cache.Get("a"), std::string(100, 'a'));
  EXPECT_EQ(*cache.Get("c"), std::string(100, 'c'));
  EXPECT_LE(cache.bytes(), 800u);
}

TEST(BlobCacheTest, BlobsOverAnEighthOfTheCapacityAreNotCached) {
  BlobCache cache(800);
  cache.Put("big", Bytes(101, 'z'));
  EXPECT_EQ(cache.Get("big"), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(BlobCacheTest, AnEvictedBlobStaysValidForItsReader) {
  BlobCache cache(80);
  cache.Put("a", Bytes(10, 'a'));
  std::shared_ptr<const std::string> held = cache.Get("a");
  for (int i = 0; i < 10; ++i) cache.Put("y" + std::to_string(i), Bytes(10, 'y'));
  EXPECT_EQ(cache.Get("a"), nullptr);
  EXPECT_EQ(*held, std::string(10, 'a'));  // a response in flight still has its bytes
}

}  // namespace
}  // namespace kinglet::server
