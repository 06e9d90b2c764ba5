#include "audit/audit_crypto.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "store/data_dir.h"

namespace candor::audit {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr size_t kSha256Bytes = 32;
constexpr size_t kEd25519SignatureBytes = 64;
// A PEM Ed25519 key is about 120 bytes: a file far larger is not one.
constexpr size_t kMaxKeyFileBytes = 64 << 10;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

bool IsEd25519(const EVP_PKEY* key) { return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519; }

// Failed OpenSSL calls leave entries on the thread's error queue; left there
// they would be read as the cause of a later, unrelated failure (TLS in the
// HTTP server runs on the same threads).
void ClearOpensslErrors() { ERR_clear_error(); }

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status ErrnoStatus(int error, const std::string& what) {
  const std::string message = what + ": " + std::strerror(error);
  if (error == EACCES || error == EPERM) return Status::PermissionDenied(message);
  if (error == ENOSPC) return Status::ResourceExhausted(message);
  return Status::IOError(message);
}

// The whole file; NotFound when it does not exist.
StatusOr<std::string> ReadKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no signing key at " + path);
    return ErrnoStatus(errno, "cannot open the signing key " + path);
  }
  std::string bytes;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      ::close(fd);
      return ErrnoStatus(error, "cannot read the signing key " + path);
    }
    if (got == 0) break;
    bytes.append(buffer, static_cast<size_t>(got));
    if (bytes.size() > kMaxKeyFileBytes) {
      ::close(fd);
      return Status::InvalidArgument(path + " is too large to be an Ed25519 key");
    }
  }
  ::close(fd);
  return bytes;
}

Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return ErrnoStatus(errno, "write");
    bytes.remove_prefix(static_cast<size_t>(wrote));
  }
  return Status::Ok();
}

// Writes `pem` to `path` with mode 0600, whole or not at all. AlreadyExists
// when another process made `path` first.
Status WriteNewKeyFile(const std::string& path, const std::string& pem) {
  // The temporary name is this process's own: one left by a crashed process
  // of the same pid is stale.
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  ::unlink(temp.c_str());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "cannot create the signing key " + temp);
  Status written = WriteAll(fd, pem);
  if (written.ok() && ::fsync(fd) != 0) written = ErrnoStatus(errno, "fsync");
  ::close(fd);
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return Status(written.code(),
                  "cannot write the signing key " + temp + ": " + written.message());
  }
  // link(2), unlike rename(2), fails when `path` exists.
  const int linked = ::link(temp.c_str(), path.c_str());
  const int link_error = errno;
  ::unlink(temp.c_str());
  if (linked != 0) {
    if (link_error == EEXIST) return Status::AlreadyExists(path);
    return ErrnoStatus(link_error, "cannot create the signing key " + path);
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  return store::FsyncDirectory(dir.empty() ? "." : dir);
}

StatusOr<std::string> PrivatePem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ClearOpensslErrors();
    return Status::Internal("cannot encode the new Ed25519 key as PEM");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// A password callback that refuses: an encrypted key file fails to load
// instead of prompting on the terminal (OpenSSL's default).
int NoPassword(char*, int, int, void*) { return -1; }

}  // namespace

std::string Sha256Hex(std::string_view a, std::string_view b) {
  unsigned char digest[kSha256Bytes];
  unsigned int size = 0;
  MdCtx ctx(EVP_MD_CTX_new());
  // Fails only when memory is exhausted or the default provider is missing:
  // a broken installation, not a condition to handle per record.
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1 || size != kSha256Bytes) {
    std::abort();
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

std::string HexEncode(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex += kHexDigits[byte >> 4];
    hex += kHexDigits[byte & 15];
  }
  return hex;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = nibble(hex[i]);
    const int low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes += static_cast<char>(high << 4 | low);
  }
  return bytes;
}

std::string Base64Encode(std::string_view bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), Bytes(bytes),
                                   static_cast<int>(bytes.size()));
  text.resize(static_cast<size_t>(size));
  return text;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > (1 << 20)) return std::nullopt;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=' && i + 2 >= text.size()) {
      ++padding;
    } else if (!alphabet || padding > 0) {
      return std::nullopt;
    }
  }
  std::string bytes(text.size() / 4 * 3, '\0');
  const int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()), Bytes(text),
                                   static_cast<int>(text.size()));
  if (size < 0 || static_cast<size_t>(size) < padding) {
    ClearOpensslErrors();
    return std::nullopt;
  }
  // EVP_DecodeBlock counts the padding as zero bytes.
  bytes.resize(static_cast<size_t>(size) - padding);
  // Other encodings of the same bytes (non-zero unused bits) are refused.
  if (Base64Encode(bytes) != text) return std::nullopt;
  return bytes;
}

StatusOr<SigningKey> SigningKey::FromFile(const std::string& path, bool create,
                                          bool allow_public_only) {
  StatusOr<std::string> pem = ReadKeyFile(path);
  if (!pem.ok() && pem.status().code() == StatusCode::kNotFound && create) {
    EVP_PKEY* generated = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (generated == nullptr) {
      ClearOpensslErrors();
      return Status::Internal("cannot generate an Ed25519 key");
    }
    std::shared_ptr<EVP_PKEY> key = Own(generated);
    CANDOR_ASSIGN_OR_RETURN(std::string private_pem, PrivatePem(key.get()));
    const Status written = WriteNewKeyFile(path, private_pem);
    if (written.ok()) return SigningKey(std::move(key), true);
    if (written.code() != StatusCode::kAlreadyExists) return written;
    pem = ReadKeyFile(path);  // another process made it first: use theirs
  }
  if (!pem.ok()) return pem.status();

  Bio bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  if (bio == nullptr) return Status::ResourceExhausted("out of memory reading " + path);
  if (EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr)) {
    std::shared_ptr<EVP_PKEY> owned = Own(key);
    if (!IsEd25519(key)) {
      return Status::InvalidArgument(path + " holds a private key of another type than Ed25519");
    }
    return SigningKey(std::move(owned), true);
  }
  ClearOpensslErrors();
  if (allow_public_only) {
    Bio again(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    if (EVP_PKEY* key = PEM_read_bio_PUBKEY(again.get(), nullptr, NoPassword, nullptr)) {
      std::shared_ptr<EVP_PKEY> owned = Own(key);
      if (!IsEd25519(key)) {
        return Status::InvalidArgument(path + " holds a public key of another type than Ed25519");
      }
      return SigningKey(std::move(owned), false);
    }
    ClearOpensslErrors();
  }
  return Status::InvalidArgument(path + " is not an unencrypted PEM Ed25519 private key" +
                                 (allow_public_only ? " nor a PEM public key" : ""));
}

StatusOr<SigningKey> SigningKey::FromPublicPem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key =
      bio == nullptr ? nullptr : PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassword, nullptr);
  if (key == nullptr) {
    ClearOpensslErrors();
    return Status::Corruption("not a PEM public key");
  }
  std::shared_ptr<EVP_PKEY> owned = Own(key);
  if (!IsEd25519(key)) return Status::Corruption("a public key of another type than Ed25519");
  return SigningKey(std::move(owned), false);
}

std::string SigningKey::public_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    ClearOpensslErrors();
    return "";
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

bool SigningKey::SamePublicKey(const SigningKey& other) const {
  return EVP_PKEY_eq(key_.get(), other.key_.get()) == 1;
}

StatusOr<std::string> SigningKey::Sign(std::string_view message) const {
  if (!can_sign_) return Status::PermissionDenied("a public key cannot sign");
  MdCtx ctx(EVP_MD_CTX_new());
  std::string signature(kEd25519SignatureBytes, '\0');
  size_t size = signature.size();
  // Ed25519 hashes the message itself: no digest is named (NULL md).
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     Bytes(message), message.size()) != 1) {
    ClearOpensslErrors();
    return Status::Internal("Ed25519 signing failed");
  }
  signature.resize(size);
  return signature;
}

bool SigningKey::Verify(std::string_view message, std::string_view signature) const {
  MdCtx ctx(EVP_MD_CTX_new());
  const bool ok = ctx != nullptr &&
                  EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
                  EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message),
                                   message.size()) == 1;
  if (!ok) ClearOpensslErrors();
  return ok;
}

}  // namespace candor::audit
