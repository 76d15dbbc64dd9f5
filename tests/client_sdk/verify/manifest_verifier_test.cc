// The SDK's verifier against manifests made by the server's own signer (server/delivery), so
// the two sides of the signature agree byte for byte.
#include "verify/manifest_verifier.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/signing_key.h"
#include "delivery/manifest.h"

namespace kinglet::sdk {
namespace {

server::ManifestFields Fields() {
  server::ManifestFields f;
  f.model = "fashion";
  f.version = 4;
  f.device_class = "arm64-low";
  f.sha256 = std::string(64, 'c');
  f.size = 24701;
  f.url = "http://127.0.0.1:8080/v1/blobs/" + f.sha256;
  f.serial = 9;
  f.issued = 1000;
  f.expires = 2000;
  return f;
}

class ManifestVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = server::SigningKey::Generate().value();
    other_ = server::SigningKey::Generate().value();
    trusted_ = {{key_->key_id(), key_->public_key_pem()}};
  }
  std::string Sign(const server::ManifestFields& f) { return *server::SignManifest(f, *key_); }

  std::unique_ptr<server::SigningKey> key_, other_;
  std::vector<TrustedKey> trusted_;
};

TEST_F(ManifestVerifierTest, AcceptsAValidManifest) {
  auto m = VerifyManifest(Sign(Fields()), trusted_, 1500, 9);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->model, "fashion");
  EXPECT_EQ(m->version, 4u);
  EXPECT_EQ(m->device_class, "arm64-low");
  EXPECT_EQ(m->size, 24701u);
  EXPECT_EQ(m->serial, 9u);
  EXPECT_EQ(m->keyid, key_->key_id());
}

TEST_F(ManifestVerifierTest, RefusesTamperingWrongKeysExpiryAndReplays) {
  const std::string good = Sign(Fields());
  // Tampered: any byte of the signed part changed.
  std::string tampered = good;
  tampered.replace(tampered.find("\"version\":4"), 11, "\"version\":3");
  EXPECT_EQ(VerifyManifest(tampered, trusted_, 1500, 0).status().code(), StatusCode::kUnauthenticated);
  // Signed by a key the device does not trust (even one naming itself correctly).
  EXPECT_EQ(VerifyManifest(*server::SignManifest(Fields(), *other_), trusted_, 1500, 0).status().code(),
            StatusCode::kUnauthenticated);
  // A trusted key id paired with another key's PEM does not help an attacker.
  EXPECT_EQ(VerifyManifest(good, {{key_->key_id(), other_->public_key_pem()}}, 1500, 0).status().code(),
            StatusCode::kUnauthenticated);
  // Unsigned.
  const std::string unsigned_doc = good.substr(0, good.find(",\"signatures\"")) + "}";
  EXPECT_EQ(VerifyManifest(unsigned_doc, trusted_, 1500, 0).status().code(), StatusCode::kUnauthenticated);
  // Expired.
  EXPECT_EQ(VerifyManifest(good, trusted_, 2000, 0).status().code(), StatusCode::kFailedPrecondition);
  // Replayed: older than the newest serial already accepted.
  EXPECT_EQ(VerifyManifest(good, trusted_, 1500, 10).status().code(), StatusCode::kFailedPrecondition);
  // Garbage.
  for (const std::string bad : {"", "{}", "[]", "{\"signed\":1,\"signatures\":[]}", "not json"}) {
    EXPECT_FALSE(VerifyManifest(bad, trusted_, 1500, 0).ok()) << bad;
  }
}

TEST_F(ManifestVerifierTest, KeyRotationTrustsEitherPinnedKey) {
  const std::vector<TrustedKey> both = {{other_->key_id(), other_->public_key_pem()},
                                        {key_->key_id(), key_->public_key_pem()}};
  EXPECT_TRUE(VerifyManifest(Sign(Fields()), both, 1500, 0).ok());
  EXPECT_TRUE(VerifyManifest(*server::SignManifest(Fields(), *other_), both, 1500, 0).ok());
}

}  // namespace
}  // namespace kinglet::sdk
