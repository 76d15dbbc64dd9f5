#include "crypto/signing_key.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "common/file_io.h"
#include "common/sha256.h"

namespace kinglet::server {
namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

struct SigningKey::Key {
  PkeyPtr pkey;
};

SigningKey::SigningKey(std::unique_ptr<Key> key) : key_(std::move(key)) {}
SigningKey::~SigningKey() = default;

Status SigningKey::Describe() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_->pkey.get()) != 1) {
    return Status::Internal("cannot encode the Ed25519 public key as PEM");
  }
  public_pem_ = BioContents(bio.get());
  uint8_t raw[32];
  size_t raw_size = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key_->pkey.get(), raw, &raw_size) != 1 || raw_size != 32) {
    return Status::Internal("cannot read the raw Ed25519 public key");
  }
  public_raw_.assign(reinterpret_cast<const char*>(raw), raw_size);
  key_id_ = Sha256Hex(public_raw_).substr(0, 16);
  return Status::Ok();
}

Result<std::unique_ptr<SigningKey>> SigningKey::Generate() {
  EVP_PKEY* raw = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  const bool ok = ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &raw) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return Status::Internal("OpenSSL could not generate an Ed25519 key");
  auto key = std::make_unique<Key>();
  key->pkey.reset(raw);
  std::unique_ptr<SigningKey> signing(new SigningKey(std::move(key)));
  KINGLET_RETURN_IF_ERROR(signing->Describe());
  return signing;
}

Result<std::unique_ptr<SigningKey>> SigningKey::LoadOrCreate(const std::string& private_path,
                                                             const std::string& public_path) {
  if (!PathExists(private_path)) {
    KINGLET_ASSIGN_OR_RETURN(std::unique_ptr<SigningKey> key, Generate());
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key->key_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return Status::Internal("cannot encode the Ed25519 private key as PEM");
    }
    KINGLET_RETURN_IF_ERROR(WriteFileAtomically(private_path, BioContents(bio.get()), 0600));
    KINGLET_RETURN_IF_ERROR(WriteFileAtomically(public_path, key->public_pem_, 0644));
    return key;
  }
  struct stat st {};
  if (::stat(private_path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return Status::FailedPrecondition("signing key " + private_path +
                                      " is readable by other users; run `chmod 600 " + private_path + "`");
  }
  KINGLET_ASSIGN_OR_RETURN(const std::string pem, ReadFile(private_path));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey || EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return Status::Corruption(private_path + " is not a PEM Ed25519 private key; restore it from backup "
                              "(a new key would make every app that pinned the old one refuse manifests)");
  }
  auto key = std::make_unique<Key>();
  key->pkey = std::move(pkey);
  std::unique_ptr<SigningKey> signing(new SigningKey(std::move(key)));
  KINGLET_RETURN_IF_ERROR(signing->Describe());
  // Keep the public half beside it in step with the private key actually used.
  auto existing = ReadFile(public_path);
  if (!existing.ok() || *existing != signing->public_pem_) {
    KINGLET_RETURN_IF_ERROR(WriteFileAtomically(public_path, signing->public_pem_, 0644));
  }
  return signing;
}

Result<std::string> SigningKey::Sign(std::string_view message) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string signature(64, '\0');
  size_t size = signature.size();
  const bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_->pkey.get()) == 1 &&
                  EVP_DigestSign(ctx, reinterpret_cast<uint8_t*>(signature.data()), &size,
                                 reinterpret_cast<const uint8_t*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || size != 64) return Status::Internal("Ed25519 signing failed");
  return signature;
}

Status VerifyEd25519(const std::string& public_key_pem, std::string_view message, std::string_view signature) {
  BioPtr bio(BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey || EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument("not a PEM Ed25519 public key");
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey.get()) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const uint8_t*>(signature.data()), signature.size(),
                                   reinterpret_cast<const uint8_t*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return Status::Unauthenticated("the Ed25519 signature does not verify");
  return Status::Ok();
}

}  // namespace kinglet::server
