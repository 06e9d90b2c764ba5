// Rekognition's ClientRequestToken: a request repeated with the same token
// returns the first response and changes nothing; the same token with other
// parameters is IdempotentParameterMismatchException.
//
// The store keeps, per (collection, operation, token), one value: the
// request's fingerprint (its parameters on one line), a newline, and the
// response in a line format of this file. Identifiers in either are
// validated before (UserId, FaceId and reasons hold no spaces or newlines).
//
// Thread safety: pure functions, except LookUpToken, which reads the store
// (itself safe for concurrent use).
#ifndef CANDOR_COLLECTIONS_REQUEST_TOKEN_H_
#define CANDOR_COLLECTIONS_REQUEST_TOKEN_H_

#include <optional>
#include <string>
#include <vector>

#include "candor/collections.h"
#include "store/store.h"

namespace candor {

// A request's parameters as one line: the values joined with spaces, floats
// with enough digits to tell any two apart.
std::string Fingerprint(const std::vector<std::string>& values);
std::string FingerprintFloat(float value);

// The stored value for a fingerprint and an encoded response.
std::string TokenValue(const std::string& fingerprint, const std::string& response);

// The stored response for `token`, if the token was used before with the same
// fingerprint; nullopt for a new token or when `token` is empty;
// IdempotentParameterMismatch when the token was used with other parameters.
StatusOr<std::optional<std::string>> LookUpToken(store::Store* store,
                                                 const std::string& collection_id,
                                                 const std::string& operation,
                                                 const std::string& token,
                                                 const std::string& fingerprint);

std::string EncodeResult(const AssociateFacesResult& result);
std::string EncodeResult(const DisassociateFacesResult& result);
// Corruption when `text` is not what EncodeResult wrote.
StatusOr<AssociateFacesResult> DecodeAssociateFacesResult(const std::string& text);
StatusOr<DisassociateFacesResult> DecodeDisassociateFacesResult(const std::string& text);

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_REQUEST_TOKEN_H_
