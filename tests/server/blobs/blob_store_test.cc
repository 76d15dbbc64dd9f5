#include "blobs/blob_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>
#include <vector>

#include "common/file_io.h"
#include "common/sha256.h"
#include "temp_dir.h"

namespace kinglet::server {
namespace {

using kinglet::testing::TempDir;

TEST(BlobStoreTest, PutReadsBackUnderItsHash) {
  TempDir dir;
  auto store = BlobStore::Open(dir.path() + "/blobs");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string bytes = "a model artifact";
  auto sha = (*store)->Put(bytes);
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(*sha, Sha256Hex(bytes));
  EXPECT_TRUE((*store)->Contains(*sha));
  EXPECT_EQ(*(*store)->Read(*sha), bytes);
  EXPECT_EQ(*(*store)->Size(*sha), bytes.size());
  EXPECT_TRUE((*store)->Verify(*sha).ok());
  // Same bytes again: same name, still one readable copy.
  EXPECT_EQ(*(*store)->Put(bytes), *sha);
  EXPECT_EQ(*(*store)->Read(*sha), bytes);
}

TEST(BlobStoreTest, NamesThatAreNotHashesNeverReachTheFileSystem) {
  TempDir dir;
  auto store = BlobStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  for (const std::string& bad : std::vector<std::string>{"../../etc/passwd", "", std::string(64, 'A'), std::string(63, 'a'),
                                std::string(64, 'a') + "/x", std::string("ab\0cd", 5), std::string(65, 'a')}) {
    EXPECT_EQ((*store)->PathOf(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE((*store)->Contains(bad));
    EXPECT_EQ((*store)->Read(bad).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ((*store)->Remove(bad).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ((*store)->Read(std::string(64, 'a')).status().code(), StatusCode::kNotFound);
}

TEST(BlobStoreTest, AdoptChecksTheHashBeforeMovingAFileIn) {
  TempDir dir;
  auto store = BlobStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  const std::string upload = (*store)->temp_dir() + "/upload.part";
  ASSERT_TRUE(WriteFileAtomically(upload, "uploaded bytes").ok());
  const Status wrong = (*store)->Adopt(upload, Sha256Hex("other bytes"));
  EXPECT_EQ(wrong.code(), StatusCode::kCorruption);
  EXPECT_TRUE(PathExists(upload));  // left for the caller to deal with
  EXPECT_FALSE((*store)->Contains(Sha256Hex("other bytes")));
  ASSERT_TRUE((*store)->Adopt(upload, Sha256Hex("uploaded bytes")).ok());
  EXPECT_FALSE(PathExists(upload));
  EXPECT_EQ(*(*store)->Read(Sha256Hex("uploaded bytes")), "uploaded bytes");
}

TEST(BlobStoreTest, VerifyCatchesABitFlippedOnDisk) {
  TempDir dir;
  auto store = BlobStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  const std::string sha = *(*store)->Put("precious weights");
  const std::string path = *(*store)->PathOf(sha);
  ::chmod(path.c_str(), 0644);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put('X');
  }
  EXPECT_EQ((*store)->Verify(sha).code(), StatusCode::kCorruption);
}

TEST(BlobStoreTest, OpenClearsTempFilesOfACrashedWrite) {
  TempDir dir;
  {
    auto store = BlobStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    std::ofstream((*store)->temp_dir() + "/half-written.tmp") << "partial";
  }
  auto store = BlobStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE(PathExists((*store)->temp_dir() + "/half-written.tmp"));
}

TEST(BlobStoreTest, ConcurrentPutsOfTheSameBytesAgree) {
  TempDir dir;
  auto store = BlobStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  const std::string bytes(1 << 20, 'k');
  std::vector<std::thread> threads;
  std::vector<std::string> names(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { names[i] = (*store)->Put(bytes).value(); });
  }
  for (auto& t : threads) t.join();
  for (const std::string& n : names) EXPECT_EQ(n, Sha256Hex(bytes));
  EXPECT_TRUE((*store)->Verify(Sha256Hex(bytes)).ok());
}

TEST(BlobStoreTest, RemoveDeletesAndIsIdempotent) {
  TempDir dir;
  auto store = BlobStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  const std::string sha = *(*store)->Put("old artifact");
  ASSERT_TRUE((*store)->Remove(sha).ok());
  EXPECT_FALSE((*store)->Contains(sha));
  EXPECT_TRUE((*store)->Remove(sha).ok());
}

}  // namespace
}  // namespace kinglet::server
