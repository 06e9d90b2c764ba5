// Identifiers and pagination tokens of the collection operations.
//
// Thread safety: pure functions (NewUuid uses OpenSSL's thread-safe CSPRNG).
#ifndef CANDOR_COLLECTIONS_VALIDATION_H_
#define CANDOR_COLLECTIONS_VALIDATION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "candor/collections.h"

namespace candor {

// InvalidArgument naming `name` unless 0 <= value <= 100 (NaN included).
Status ValidatePercent(float value, const char* name);

// Rekognition's ResourceNotFoundException for a collection.
Status NotFoundCollection(const std::string& id);

// A random (version 4) UUID in lower case, as Rekognition's FaceId.
std::string NewUuid();

// NextToken of a paged list: "<kind>.<scope>.<key>", where kind names the
// list ("f" ListFaces, "u" ListUsers, ...), scope is a hash of what it lists
// (the collection's id; "" for ListCollections) and key the base64 of the
// last key returned. Tokens are not secrets: they exist so that a token of
// another list or collection is refused (InvalidPaginationToken) instead of
// quietly paging somewhere else. Every token is at most kMaxPageTokenChars
// (Rekognition's PaginationToken): a key too long for that (only collection
// ids of more than 168 characters) travels as its first 168 characters and
// a hash of the whole, `key_hash`.
constexpr size_t kMaxPageTokenChars = 255;
struct PageToken {
  std::string after;                  // the key, or its first 168 characters
  std::optional<uint32_t> key_hash;   // set when `after` is such a prefix
};
std::string EncodePageToken(const std::string& kind, const std::string& scope,
                            const std::string& after);
StatusOr<PageToken> DecodePageToken(const std::string& kind, const std::string& scope,
                                    const std::string& token);
// The hash a shortened token carries.
uint32_t PageKeyHash(const std::string& key);
// DecodePageToken for lists whose keys always fit (FaceIds, UserIds, stream
// processor names): a shortened token is refused.
StatusOr<std::string> DecodeShortPageToken(const std::string& kind, const std::string& scope,
                                           const std::string& token);

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_VALIDATION_H_
