// The Rekognition operations of the service: one JSON request body in, one
// JSON response body (or a typed error) out, independent of HTTP so that it
// can be tested and benchmarked without sockets.
//
// Thread safety: RunOperation may be called from many threads at once; the
// Engine and Collections it uses are thread-safe.
#ifndef CANDOR_SERVER_OPERATIONS_H_
#define CANDOR_SERVER_OPERATIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "candor/collections.h"
#include "candor/engine.h"
#include "candor/status.h"
#include "protocol/requests.h"

namespace candor::server {

struct ServiceContext {
  Engine* engine = nullptr;
  Collections* collections = nullptr;
  protocol::RequestOptions request_options;
};

// Who is calling, for the operations that will record it (audit, issue 6).
struct CallContext {
  std::string principal;   // "anonymous" when anonymous access is enabled
  std::string request_id;
};

// Every operation name the service answers, e.g. "DetectFaces".
const std::vector<std::string_view>& OperationNames();
bool IsKnownOperation(std::string_view operation);

// Runs `operation` on a parsed request body. Unknown operations give
// UnknownOperationException; bad bodies the errors of protocol/requests.h.
StatusOr<nlohmann::json> RunOperation(std::string_view operation, const nlohmann::json& body,
                                      const ServiceContext& service, const CallContext& call);

}  // namespace candor::server

#endif  // CANDOR_SERVER_OPERATIONS_H_
