// AWS Signature Version 4: verification of signed requests (the service) and
// signing (the load client and the tests).
//
// Only the Authorization-header form is accepted, as the AWS SDKs and CLI send
// it for Rekognition; presigned query strings are not. The payload hash is
// the SHA-256 of the body (x-amz-content-sha256, when present, must equal it).
//
// Thread safety: pure functions.
#ifndef CANDOR_SERVER_SIGV4_H_
#define CANDOR_SERVER_SIGV4_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/credentials.h"

namespace candor::server {

struct HttpRequestView {
  std::string method;  // "POST"
  std::string path;    // "/" (already URL-decoded by the HTTP layer is NOT assumed: raw)
  std::string query;   // raw query string without '?', may be empty
  // Header names in any case; repeated headers appear several times.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

struct VerifyOptions {
  std::string service = "rekognition";
  std::string region;              // empty: any region in the credential scope
  int64_t max_skew_seconds = 900;  // AWS's 15 minutes
};

// The outcome of verification. On failure `error_type` is the AWS error name
// the SDKs expect and `http_status` its status:
//   MissingAuthenticationTokenException 403: no Authorization header
//   IncompleteSignatureException 400: a malformed Authorization header, a
//     missing X-Amz-Date, a signed header list without host or x-amz-date, a
//     scope naming another service, region or date than X-Amz-Date
//   UnrecognizedClientException 400: an unknown access key id
//   InvalidSignatureException 400: a signature that does not match, or a
//     request signed more than max_skew_seconds before or after now (message
//     "Signature expired: ..." / "Signature not yet current: ...", which
//     botocore recognises to correct its clock)
struct AuthResult {
  bool ok = false;
  const Credential* credential = nullptr;  // on success, points into the store
  int http_status = 0;
  std::string error_type;
  std::string message;
  // On success: the request's signature (64 hex characters) and when it was
  // signed (X-Amz-Date), for the replay cache.
  std::string signature;
  int64_t signed_at = 0;
  // On UnrecognizedClientException: the key id that the store lacks (a
  // cluster's key ring may read its keys again and retry).
  std::string unknown_access_key_id;
};

AuthResult VerifySigV4(const HttpRequestView& request, const CredentialStore& credentials,
                       const VerifyOptions& options, int64_t now_unix_seconds);

// Adds X-Amz-Date and Authorization (signing host, content-type, x-amz-date
// and x-amz-target when present) to `request`, which must carry a Host header.
void SignSigV4(HttpRequestView& request, const Credential& credential, std::string_view region,
               std::string_view service, int64_t now_unix_seconds);

// Pieces, exposed for the tests (AWS's published test suite).
std::string CanonicalRequest(const HttpRequestView& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash_hex);
std::string Sha256Hex(std::string_view data);

}  // namespace candor::server

#endif  // CANDOR_SERVER_SIGV4_H_
