// The stream-processor operations (CreateStreamProcessor ...
// DeleteStreamProcessor) as handlers that operations.cc merges into its
// table, so that they pass through RunOperation's authorisation and audit
// like every other call. The session a StartStreamProcessor begins leaves its
// own audit record when it ends (video/stream_processor_session.h).
//
// Thread safety: the handlers may run concurrently (the manager is
// thread-safe).
#ifndef CANDOR_SERVER_STREAM_OPERATIONS_H_
#define CANDOR_SERVER_STREAM_OPERATIONS_H_

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "audit/audit_log.h"
#include "candor/status.h"
#include "server/operations.h"

namespace candor::server {

// `event` is the call's audit record, filled in by the handler.
using StreamHandler = std::function<StatusOr<nlohmann::json>(
    const nlohmann::json& body, const ServiceContext& service, const CallContext& caller,
    audit::AuditEvent* event)>;

// By operation name. Without a manager (ServiceContext::stream_processors
// null) each answers UnsupportedException.
const std::map<std::string, StreamHandler, std::less<>>& StreamProcessorHandlers();

}  // namespace candor::server

#endif  // CANDOR_SERVER_STREAM_OPERATIONS_H_
