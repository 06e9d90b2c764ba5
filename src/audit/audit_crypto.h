// The audit log's one adapter around OpenSSL (libcrypto, 3.x EVP APIs):
// SHA-256 for the hash chain, Ed25519 keys for signed checkpoints, and the
// hex and base64 text forms they are stored in.
//
// Thread safety: free functions have no shared state; a SigningKey is
// immutable after it is made and its const methods may be called from
// several threads at once (each call uses its own EVP context).
#ifndef CANDOR_AUDIT_AUDIT_CRYPTO_H_
#define CANDOR_AUDIT_AUDIT_CRYPTO_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "candor/status.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace candor::audit {

// Lowercase hex SHA-256 of the concatenation of `a` and `b`.
std::string Sha256Hex(std::string_view a, std::string_view b = {});

std::string HexEncode(std::string_view bytes);
// nullopt unless `hex` is an even number of hex digits.
std::optional<std::string> HexDecode(std::string_view hex);

// Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);
// nullopt unless `text` is canonical padded base64 (what Base64Encode makes).
std::optional<std::string> Base64Decode(std::string_view text);

// An Ed25519 key: a private key (signs and verifies) or a public key only
// (verifies).
class SigningKey {
 public:
  // Reads the PEM private key at `path`; when there is no file and `create`,
  // generates one and writes it with mode 0600 first. The file appears whole
  // or not at all (written to a temporary file, then linked into place, which
  // fails if another process made it first; then its key is read).
  // `allow_public_only` accepts a PEM public key as well (for verifying).
  static StatusOr<SigningKey> FromFile(const std::string& path, bool create,
                                       bool allow_public_only);
  static StatusOr<SigningKey> FromPublicPem(std::string_view pem);

  bool can_sign() const { return can_sign_; }
  // SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----...").
  std::string public_pem() const;
  bool SamePublicKey(const SigningKey& other) const;

  // The 64-byte Ed25519 signature of `message` (raw bytes).
  StatusOr<std::string> Sign(std::string_view message) const;
  bool Verify(std::string_view message, std::string_view signature) const;

 private:
  SigningKey(std::shared_ptr<evp_pkey_st> key, bool can_sign)
      : key_(std::move(key)), can_sign_(can_sign) {}

  std::shared_ptr<evp_pkey_st> key_;
  bool can_sign_ = false;
};

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_AUDIT_CRYPTO_H_
