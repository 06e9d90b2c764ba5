// The audit log in PostgreSQL (AuditOptions::store_uri): what
// AuditLog::Open returns for a postgresql:// log. Internal to src/audit.
#ifndef CANDOR_AUDIT_PG_AUDIT_LOG_H_
#define CANDOR_AUDIT_PG_AUDIT_LOG_H_

#include <memory>

#include "audit/audit_log.h"
#include "candor/status.h"

namespace candor::audit {

StatusOr<std::unique_ptr<AuditLog>> OpenPgAuditLog(const AuditOptions& options);

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_PG_AUDIT_LOG_H_
