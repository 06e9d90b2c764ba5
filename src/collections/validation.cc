#include "collections/validation.h"

#include <openssl/rand.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace candor {
namespace {

bool AllOf(const std::string& s, bool (*ok)(char)) {
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Limits of CollectionPolicy (candor/collections.h). MaxFaces as Rekognition's
// SearchFaces MaxFaces (1..4096); retention up to a century.
constexpr size_t kMaxPurposeLength = 512;
constexpr int kMaxPolicyMaxFaces = 4096;
constexpr int64_t kMaxRetentionDays = 36500;

}  // namespace

Status ValidateCollectionId(const std::string& id) {
  // Rekognition: [a-zA-Z0-9_.\-]+, 1 to 255 characters.
  if (id.empty() || id.size() > 255 ||
      !AllOf(id, [](char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; })) {
    return Status::InvalidArgument(
        "CollectionId must be 1 to 255 characters of [a-zA-Z0-9_.-]");
  }
  return Status::Ok();
}

Status ValidateExternalImageId(const std::string& id) {
  // Rekognition: [a-zA-Z0-9_.\-:]+, 1 to 255 characters (optional).
  if (id.empty() || id.size() > 255 ||
      !AllOf(id, [](char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-' || c == ':'; })) {
    return Status::InvalidArgument("ExternalImageId must be 1 to 255 characters of [a-zA-Z0-9_.-:]");
  }
  return Status::Ok();
}

Status ValidateFaceId(const std::string& id) {
  // Rekognition: a UUID, [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}.
  bool ok = id.size() == 36;
  for (size_t i = 0; ok && i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      ok = c == '-';
    } else {
      ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
  }
  if (!ok) return Status::InvalidArgument("FaceId must be a lower-case UUID: '" + id.substr(0, 64) + "'");
  return Status::Ok();
}

Status ValidateUserId(const std::string& id) {
  // Rekognition: [a-zA-Z0-9_.\-:]+, 1 to 128 characters.
  if (id.empty() || id.size() > 128 ||
      !AllOf(id, [](char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-' || c == ':'; })) {
    return Status::InvalidArgument("UserId must be 1 to 128 characters of [a-zA-Z0-9_.-:]: '" +
                                   id.substr(0, 160) + "'");
  }
  return Status::Ok();
}

Status ValidateClientRequestToken(const std::string& token) {
  // Rekognition: ^[a-zA-Z0-9-_]+$, 1 to 64 characters (optional).
  if (token.empty()) return Status::Ok();
  if (token.size() > 64 || !AllOf(token, [](char c) { return IsAlnum(c) || c == '_' || c == '-'; })) {
    return Status::InvalidArgument("ClientRequestToken must be 1 to 64 characters of [a-zA-Z0-9-_]");
  }
  return Status::Ok();
}

Status ValidateCollectionPolicy(const CollectionPolicy& policy) {
  // Printable ASCII, as the reasons given with searches: the purpose is shown
  // in audit reports and consoles, where control characters could forge lines.
  if (policy.purpose.empty() || policy.purpose.size() > kMaxPurposeLength ||
      !AllOf(policy.purpose, [](char c) { return c >= 0x20 && c <= 0x7e; })) {
    return Status::InvalidArgument("Purpose must be 1 to " + std::to_string(kMaxPurposeLength) +
                                   " printable ASCII characters");
  }
  // ValidatePercent refuses NaN and the infinities (they are outside 0..100).
  CANDOR_RETURN_IF_ERROR(ValidatePercent(policy.threshold_floor, "ThresholdFloor"));
  if (policy.max_faces < 1 || policy.max_faces > kMaxPolicyMaxFaces) {
    return Status::InvalidArgument("MaxFaces must be between 1 and " +
                                   std::to_string(kMaxPolicyMaxFaces));
  }
  if (policy.retention_days < 0 || policy.retention_days > kMaxRetentionDays) {
    return Status::InvalidArgument("RetentionDays must be between 0 and " +
                                   std::to_string(kMaxRetentionDays) + " (0: kept until deleted)");
  }
  return Status::Ok();
}

Status ValidatePercent(float value, const char* name) {
  if (!(value >= 0.f && value <= 100.f)) {
    return Status::InvalidArgument(std::string(name) + " must be between 0 and 100");
  }
  return Status::Ok();
}

Status NotFoundCollection(const std::string& id) {
  return Status::NotFound("The collection id: " + id + " does not exist");
}

std::string NewUuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof(b)) != 1) {
    // OpenSSL's CSPRNG failing is a broken invariant of the machine.
    std::abort();
  }
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // variant 1
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::string EncodePageToken(const std::string& kind, const std::string& after) {
  static const char* kHex = "0123456789abcdef";
  std::string token = kind + ".";
  for (unsigned char c : after) {
    token += kHex[c >> 4];
    token += kHex[c & 15];
  }
  return token;
}

StatusOr<std::string> DecodePageToken(const std::string& kind, const std::string& token) {
  const auto bad = [] { return Status::InvalidPaginationToken("NextToken is not valid"); };
  if (token.size() > 1024 || token.compare(0, kind.size() + 1, kind + ".") != 0) return bad();
  const std::string hex = token.substr(kind.size() + 1);
  if (hex.empty() || hex.size() % 2 != 0) return bad();
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      const char c = hex[i + k];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else {
        return bad();
      }
    }
    out += static_cast<char>(v);
  }
  return out;
}

}  // namespace candor
