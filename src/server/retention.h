// Retention: faces older than their collection's retention period are erased
// (for real: Collections::EraseFacesIndexedBefore) and each erasure is
// recorded in the audit log as operation "RetentionErase" by principal
// "system".
//
// Thread safety: as Collections and AuditLog; the service runs it from one
// thread.
#ifndef CANDOR_SERVER_RETENTION_H_
#define CANDOR_SERVER_RETENTION_H_

#include <cstdint>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "candor/status.h"

namespace candor::server {

struct RetentionSweep {
  int64_t collections_checked = 0;
  int64_t faces_erased = 0;
};

// One pass over every collection at time `now_ms` (the clock is a parameter
// so that tests can move it). `audit` may be null (nothing recorded).
StatusOr<RetentionSweep> RunRetention(Collections& collections, audit::AuditLog* audit,
                                      int64_t now_ms);

}  // namespace candor::server

#endif  // CANDOR_SERVER_RETENTION_H_
