// The parts of AWS's JSON 1.1 wire protocol that do not need sockets: the
// X-Amz-Target header, bounded JSON parsing, error bodies and their HTTP
// statuses, request ids.
//
// Thread safety: pure functions (NewRequestId draws from OpenSSL's RNG).
#ifndef CANDOR_SERVER_WIRE_H_
#define CANDOR_SERVER_WIRE_H_

#include <ctime>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "candor/status.h"

namespace candor::server {

inline constexpr std::string_view kTargetPrefix = "RekognitionService.";
inline constexpr std::string_view kCandorPrefix = "Candor.";
inline constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";

// "RekognitionService.DetectFaces" -> "DetectFaces", and Candor's own
// operations as they are: "Candor.ListAuditEvents" -> "Candor.ListAuditEvents";
// UnknownOperationException for anything else (a missing header included).
StatusOr<std::string> OperationFromTarget(std::string_view target);

// Parses a request body, refusing (SerializationException) one that is not
// JSON, or that nests arrays and objects deeper than `max_depth`: the depth is
// checked by a scan before any parser sees the text, so a 10,000-deep body
// costs one pass over its bytes. An empty body is an empty object, as the
// AWS SDKs send "{}" for operations without parameters. Strict where JSON
// parsers differ, so that no two readers of a body see different requests:
// an object with a key twice (which one wins?), a negative zero and a
// number that underflows to zero (1e-400) are refused too.
StatusOr<nlohmann::json> ParseRequestBody(std::string_view body, int max_depth);

// The HTTP status AWS uses for an error type: 400 for the caller's errors,
// 403 for AccessDenied, 404 is not used (unknown resources are 400), 500 for
// internal errors, 503 for an unavailable service.
int HttpStatusFor(StatusCode code);
// The error name a client sees for `code`: ErrorTypeName's (which the CLI
// and the audit log keep) except where Rekognition's model has no such
// error. A corrupt store, an I/O error and exhausted resources (disk full,
// out of memory) are InternalServerError (500), never a throttling error
// that SDKs would retry as if it were transient; a feature this service
// does not offer is an InvalidParameterException.
std::string_view WireErrorName(StatusCode code);

// {"__type": "<type>", "message": ..., "Message": ...}. Both spellings of the
// message: botocore reads either, the JavaScript SDK "message".
std::string ErrorBody(std::string_view type, std::string_view message);

// A random UUID (version 4), for x-amzn-RequestId.
std::string NewRequestId();

// RFC 9110's IMF-fixdate of a time, "Sun, 06 Nov 1994 08:49:37 GMT", for the
// Date header every answer carries: the AWS SDKs read it to correct a
// client's clock when a signature is refused as expired (or not yet valid).
std::string HttpDate(std::time_t seconds_since_epoch);

}  // namespace candor::server

#endif  // CANDOR_SERVER_WIRE_H_
