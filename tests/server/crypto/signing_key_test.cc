#include "crypto/signing_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/file_io.h"
#include "crypto/admin_token.h"
#include "temp_dir.h"

namespace kinglet::server {
namespace {

using kinglet::testing::TempDir;

unsigned ModeOf(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(SigningKeyTest, FirstStartCreatesKeyFilesWithTightPermissions) {
  TempDir dir;
  const std::string priv = dir.path() + "/signing.key", pub = dir.path() + "/signing.pub";
  auto key = SigningKey::LoadOrCreate(priv, pub);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(ModeOf(priv), 0600u);
  EXPECT_EQ(ModeOf(pub), 0644u);
  EXPECT_EQ(*ReadFile(pub), (*key)->public_key_pem());
  EXPECT_NE((*key)->public_key_pem().find("BEGIN PUBLIC KEY"), std::string::npos);
  EXPECT_EQ((*key)->key_id().size(), 16u);
  EXPECT_EQ((*key)->public_key_raw().size(), 32u);

  // Second start: the same key, so apps that pinned it keep working.
  auto again = SigningKey::LoadOrCreate(priv, pub);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->key_id(), (*key)->key_id());
  EXPECT_EQ((*again)->public_key_pem(), (*key)->public_key_pem());
}

TEST(SigningKeyTest, SignaturesVerifyAndTamperingIsCaught) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  const std::string message = R"({"model":"scan","version":3})";
  auto sig = (*key)->Sign(message);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(VerifyEd25519((*key)->public_key_pem(), message, *sig).ok());

  std::string flipped_message = message;
  flipped_message[5] ^= 1;
  EXPECT_EQ(VerifyEd25519((*key)->public_key_pem(), flipped_message, *sig).code(), StatusCode::kUnauthenticated);
  std::string flipped_sig = *sig;
  flipped_sig[10] ^= 1;
  EXPECT_EQ(VerifyEd25519((*key)->public_key_pem(), message, flipped_sig).code(), StatusCode::kUnauthenticated);
  auto other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)->key_id(), (*key)->key_id());
  EXPECT_EQ(VerifyEd25519((*other)->public_key_pem(), message, *sig).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyEd25519("not a key", message, *sig).code(), StatusCode::kInvalidArgument);
}

TEST(SigningKeyTest, RefusesAKeyFileOthersCanRead) {
  TempDir dir;
  const std::string priv = dir.path() + "/signing.key", pub = dir.path() + "/signing.pub";
  ASSERT_TRUE(SigningKey::LoadOrCreate(priv, pub).ok());
  ::chmod(priv.c_str(), 0644);
  auto key = SigningKey::LoadOrCreate(priv, pub);
  EXPECT_EQ(key.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(key.status().message().find("chmod 600"), std::string::npos);
}

TEST(SigningKeyTest, RefusesAGarbledKeyFileInsteadOfReplacingIt) {
  TempDir dir;
  const std::string priv = dir.path() + "/signing.key", pub = dir.path() + "/signing.pub";
  ASSERT_TRUE(WriteFileAtomically(priv, "-----BEGIN PRIVATE KEY-----\ngarbage\n", 0600).ok());
  auto key = SigningKey::LoadOrCreate(priv, pub);
  EXPECT_EQ(key.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(*ReadFile(priv), "-----BEGIN PRIVATE KEY-----\ngarbage\n");
}

TEST(AdminTokenTest, TokensAreRandomAndMatchOnlyTheirHash) {
  const std::string a = GenerateAdminToken(), b = GenerateAdminToken();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("kgl_", 0), 0u);
  EXPECT_EQ(a.size(), 4u + 64u);
  const std::string hash = HashAdminToken(a);
  EXPECT_EQ(hash.find(a), std::string::npos);  // the token itself is not stored
  EXPECT_TRUE(AdminTokenMatches(a, hash));
  EXPECT_FALSE(AdminTokenMatches(b, hash));
  EXPECT_FALSE(AdminTokenMatches("", hash));
  EXPECT_FALSE(AdminTokenMatches(a, ""));
  EXPECT_FALSE(AdminTokenMatches(a.substr(0, a.size() - 1), hash));
}

}  // namespace
}  // namespace kinglet::server
