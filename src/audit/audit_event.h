// Audit events as JSON: the canonical form that is hashed and stored
// (CanonicalJson in audit_log.h), and reading it back.
//
// Thread safety: functions without shared state.
#ifndef CANDOR_AUDIT_AUDIT_EVENT_H_
#define CANDOR_AUDIT_AUDIT_EVENT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "audit/audit_log.h"
#include "candor/status.h"

namespace candor::audit {

// Every field but hash, as an object (std::map: keys sorted).
nlohmann::json EventBody(const AuditEvent& event);

// body.dump() in the canonical form, but InvalidArgument on a string that is
// not UTF-8 instead of replacing its bytes as CanonicalJson does.
StatusOr<std::string> StrictCanonicalDump(const nlohmann::json& body);

// The event a stored canonical JSON describes (hash left empty). Corruption
// naming the field when one is missing or of the wrong type; keys it does not
// know are ignored.
StatusOr<AuditEvent> EventFromJson(const nlohmann::json& body);

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_AUDIT_EVENT_H_
