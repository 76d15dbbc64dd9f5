#include "delivery/manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kinglet::server {
namespace {

ManifestFields Fields() {
  ManifestFields f;
  f.model = "scan";
  f.version = 3;
  f.device_class = "arm64-high";
  f.sha256 = std::string(64, 'a');
  f.size = 24701;
  f.url = "http://127.0.0.1:8080/v1/blobs/" + f.sha256;
  f.serial = 7;
  f.issued = 1700000000;
  f.expires = 1700604800;
  return f;
}

TEST(ManifestTest, CanonicalFormHasSortedKeysAndNoWhitespace) {
  const std::string canonical = CanonicalSigned(Fields(), "0123456789abcdef");
  EXPECT_EQ(canonical,
            R"({"device_class":"arm64-high","expires":1700604800,"issued":1700000000,"keyid":"0123456789abcdef",)"
            R"("model":"scan","serial":7,"sha256":")" +
                std::string(64, 'a') + R"(","size":24701,"url":"http://127.0.0.1:8080/v1/blobs/)" +
                std::string(64, 'a') + R"(","version":3})");
}

TEST(ManifestTest, SignatureCoversTheCanonicalSignedObject) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  auto doc = SignManifest(Fields(), **key);
  ASSERT_TRUE(doc.ok());
  const nlohmann::json j = nlohmann::json::parse(*doc);
  ASSERT_EQ(j["signatures"].size(), 1u);
  EXPECT_EQ(j["signatures"][0]["keyid"], (*key)->key_id());
  EXPECT_EQ(j["signed"]["keyid"], (*key)->key_id());
  // A verifier re-serialises "signed" canonically; that must be exactly what was signed.
  const std::string canonical = j["signed"].dump();
  const std::string sig = Base64Decode(j["signatures"][0]["sig"]);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(VerifyEd25519((*key)->public_key_pem(), canonical, sig).ok());
  nlohmann::json tampered = j["signed"];
  tampered["version"] = 2;  // a rollback attempt
  EXPECT_FALSE(VerifyEd25519((*key)->public_key_pem(), tampered.dump(), sig).ok());
}

TEST(ManifestTest, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes) << n;
    bytes += static_cast<char>(n * 37);
  }
  EXPECT_EQ(Base64Decode("abc"), "");  // not a multiple of 4
}

}  // namespace
}  // namespace kinglet::server
