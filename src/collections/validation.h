// Identifiers and pagination tokens of the collection operations.
//
// Thread safety: pure functions (NewUuid uses OpenSSL's thread-safe CSPRNG).
#ifndef CANDOR_COLLECTIONS_VALIDATION_H_
#define CANDOR_COLLECTIONS_VALIDATION_H_

#include <string>

#include "candor/collections.h"

namespace candor {

// InvalidArgument naming `name` unless 0 <= value <= 100 (NaN included).
Status ValidatePercent(float value, const char* name);

// Rekognition's ResourceNotFoundException for a collection.
Status NotFoundCollection(const std::string& id);

// A random (version 4) UUID in lower case, as Rekognition's FaceId.
std::string NewUuid();

// NextToken: "<kind>." + hex of the last key returned. Tokens are not
// secrets; a token of another kind or not hex is InvalidPaginationToken.
std::string EncodePageToken(const std::string& kind, const std::string& after);
StatusOr<std::string> DecodePageToken(const std::string& kind, const std::string& token);

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_VALIDATION_H_
