// The operations of the service: one JSON request body in, one JSON response
// body (or a typed error) out, independent of HTTP so that it can be tested
// and benchmarked without sockets.
//
// This is where accountability is enforced, for every caller of the service:
//   1. the caller's roles must allow the operation (policy/roles.h), else
//      AccessDeniedException;
//   2. a search of a collection obeys the collection's policy: a reason when
//      the policy requires one, the threshold raised to the floor (or the
//      search refused, as the policy says), MaxFaces capped; the response
//      says what was asked and what was applied (CandorThreshold* fields);
//   3. every call that reads or writes biometric data, and every refusal of
//      one, is appended to the audit log before the response is returned;
//      if the audit log cannot record it, the call fails
//      (InternalServerError) and no result leaves the service.
//
// Thread safety: RunOperation may be called from many threads at once; the
// Engine, Collections and AuditLog it uses are thread-safe.
#ifndef CANDOR_SERVER_OPERATIONS_H_
#define CANDOR_SERVER_OPERATIONS_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "candor/engine.h"
#include "candor/status.h"
#include "policy/roles.h"
#include "protocol/requests.h"

namespace candor::video {
class StreamProcessorManager;
class VideoJobManager;
}

namespace candor::server {

struct ServiceContext {
  Engine* engine = nullptr;
  Collections* collections = nullptr;
  // Null: nothing is recorded (benchmarks of the engine's own time only).
  audit::AuditLog* audit = nullptr;
  protocol::RequestOptions request_options;
  // Candor.CreateAccessKey / ListAccessKeys / DeleteAccessKey; null: those
  // operations answer UnknownOperationException.
  // Access keys in the credentials file. `create` and `remove` call
  // `record` with what they are about to change (principal, key id, roles)
  // before they change the file, and change nothing if it fails: the audit
  // record of a key is written before the key exists (a crash between
  // leaves a record of a key that never was, never a key with no record).
  struct KeyAdmin {
    using Record = std::function<Status(const nlohmann::json& change)>;
    std::function<StatusOr<nlohmann::json>(const nlohmann::json&, const Record&)> create, remove;
    std::function<StatusOr<nlohmann::json>(const nlohmann::json&)> list;
  };
  const KeyAdmin* keys = nullptr;
  // CreateStreamProcessor ... DeleteStreamProcessor (server/stream_operations.h);
  // null: those operations answer UnsupportedException.
  video::StreamProcessorManager* stream_processors = nullptr;
  // StartFaceDetection ... GetFaceSearch (server/video_operations.h); null:
  // those operations answer UnsupportedException.
  video::VideoJobManager* video_jobs = nullptr;
};

// Who is calling and why.
struct CallContext {
  std::string principal;  // "anonymous" when anonymous access is enabled
  std::vector<policy::Role> roles;
  std::string source;      // remote address, or "cli"
  std::string request_id;
  std::string reason;      // X-Candor-Reason, or the reason the key is bound to
  std::string key_reason;  // the reason the key is bound to (one case), if any
};

// Every operation name the service answers: Rekognition's ("DetectFaces")
// and Candor's ("Candor.PutCollectionPolicy").
const std::vector<std::string_view>& OperationNames();
bool IsKnownOperation(std::string_view operation);
// Whether `operation` changes something (stores, deletes, tags, starts,
// keys): every known operation but those that only read (Detect*, Compare*,
// Describe*, List*, Search*, Get*, Candor.Verify*). A new operation counts
// as a write until it is named here as a read.
bool IsWriteOperation(std::string_view operation);

// Runs `operation` on a parsed request body. Unknown operations give
// UnknownOperationException; bad bodies the errors of protocol/requests.h.
StatusOr<nlohmann::json> RunOperation(std::string_view operation, const nlohmann::json& body,
                                      const ServiceContext& service, const CallContext& call);

// The largest reason accepted, in bytes of printable ASCII.
inline constexpr size_t kMaxReasonBytes = 256;
Status ValidateReason(std::string_view reason);

}  // namespace candor::server

#endif  // CANDOR_SERVER_OPERATIONS_H_
