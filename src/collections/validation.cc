#include "collections/validation.h"

#include <openssl/rand.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "audit/audit_crypto.h"

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

namespace {

// Characters of `text` (UTF-8) if each is one of TagKey's / TagValue's
// ([\p{L}\p{Z}\p{N}_.:/=+\-@]); nullopt otherwise.
std::optional<size_t> TagCharacters(const std::string& text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (!std::isalnum(c) && std::string_view(" _.:/=+-@").find(static_cast<char>(c)) ==
                                  std::string_view::npos) {
        return std::nullopt;
      }
      ++i;
      continue;
    }
    int extra = -1;  // continuation bytes of this sequence
    if (c >= 0xc2 && c < 0xe0) {
      extra = 1;
    } else if (c >= 0xe0 && c < 0xf0) {
      extra = 2;
    } else if (c >= 0xf0 && c < 0xf5) {
      extra = 3;
    }
    if (extra < 0 || i + extra >= text.size()) return std::nullopt;
    uint32_t cp = c & (0x3f >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto t = static_cast<unsigned char>(text[i + k]);
      if ((t & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (t & 0x3f);
    }
    // Overlong forms, surrogates, C1 controls and out-of-range code points.
    const uint32_t smallest[] = {0, 0x80, 0x800, 0x10000};
    if (cp < smallest[extra] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
        (cp >= 0x80 && cp <= 0x9f)) {
      return std::nullopt;
    }
    i += extra + 1;
  }
  return count;
}

Status ValidateTagKey(const std::string& key) {
  const std::optional<size_t> n = TagCharacters(key);
  if (!n || *n < 1 || *n > 128) {
    return Status::InvalidArgument("tag key '" + key.substr(0, 64) +
                                   "' must be 1 to 128 letters, digits, spaces or _.:/=+-@");
  }
  if (key.compare(0, 4, "aws:") == 0) {
    return Status::InvalidArgument("tag key '" + key.substr(0, 64) +
                                   "' starts with aws:, which is reserved");
  }
  return Status::Ok();
}

constexpr size_t kMaxTagsPerCall = 200;  // Rekognition's TagMap and TagKeyList

}  // namespace

Status ValidateTags(const Tags& tags) {
  if (tags.size() > kMaxTagsPerCall) {
    return Status::InvalidArgument("Tags holds " + std::to_string(tags.size()) +
                                   " tags; at most " + std::to_string(kMaxTagsPerCall));
  }
  for (const auto& [key, value] : tags) {
    CANDOR_RETURN_IF_ERROR(ValidateTagKey(key));
    const std::optional<size_t> n = TagCharacters(value);
    if (!n || *n > 256) {
      return Status::InvalidArgument("the value of tag '" + key.substr(0, 64) +
                                     "' must be at most 256 letters, digits, spaces or _.:/=+-@");
    }
  }
  return Status::Ok();
}

Status ValidateTagKeys(const std::vector<std::string>& keys) {
  if (keys.size() > kMaxTagsPerCall) {
    return Status::InvalidArgument("TagKeys holds " + std::to_string(keys.size()) +
                                   " keys; at most " + std::to_string(kMaxTagsPerCall));
  }
  for (const std::string& key : keys) CANDOR_RETURN_IF_ERROR(ValidateTagKey(key));
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

namespace {

constexpr size_t kLongKeyPrefix = 168;  // 224 base64 characters: 244 with the rest

// FNV-1a: a checksum against mistakes, not a defence against forgery.
uint32_t Fnv1a(const std::string& text) {
  uint32_t h = 2166136261u;
  for (unsigned char c : text) h = (h ^ c) * 16777619u;
  return h;
}

std::string Hex8(uint32_t v) {
  char out[9];
  std::snprintf(out, sizeof out, "%08x", v);
  return out;
}

}  // namespace

uint32_t PageKeyHash(const std::string& key) { return Fnv1a(key); }

std::string EncodePageToken(const std::string& kind, const std::string& scope,
                            const std::string& after) {
  const std::string head = kind + "." + Hex8(Fnv1a(scope)) + ".";
  if (after.size() <= kLongKeyPrefix) return head + audit::Base64Encode(after);
  return head + Hex8(Fnv1a(after)) + "~" + audit::Base64Encode(after.substr(0, kLongKeyPrefix));
}

StatusOr<PageToken> DecodePageToken(const std::string& kind, const std::string& scope,
                                    const std::string& token) {
  const auto bad = [] { return Status::InvalidPaginationToken("NextToken is not valid"); };
  if (token.size() > kMaxPageTokenChars) {
    return Status::InvalidPaginationToken("NextToken is longer than " +
                                          std::to_string(kMaxPageTokenChars) + " characters");
  }
  const std::string head = kind + "." + Hex8(Fnv1a(scope)) + ".";
  if (token.compare(0, kind.size() + 1, kind + ".") != 0) return bad();
  if (token.compare(0, head.size(), head) != 0) {
    return Status::InvalidPaginationToken("NextToken belongs to another collection");
  }
  std::string rest = token.substr(head.size());
  PageToken out;
  if (rest.size() > 9 && rest[8] == '~') {
    uint32_t h = 0;
    for (int i = 0; i < 8; ++i) {
      const char c = rest[i];
      const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (v < 0) return bad();
      h = (h << 4) | static_cast<uint32_t>(v);
    }
    out.key_hash = h;
    rest = rest.substr(9);
  }
  std::optional<std::string> after = audit::Base64Decode(rest);
  if (!after || after->empty()) return bad();
  if (out.key_hash && after->size() != kLongKeyPrefix) return bad();
  out.after = std::move(*after);
  return out;
}

StatusOr<std::string> DecodeShortPageToken(const std::string& kind, const std::string& scope,
                                           const std::string& token) {
  CANDOR_ASSIGN_OR_RETURN(PageToken decoded, DecodePageToken(kind, scope, token));
  if (decoded.key_hash) return Status::InvalidPaginationToken("NextToken is not valid");
  return std::move(decoded.after);
}

}  // namespace candor
