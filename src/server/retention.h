// Retention: faces older than their collection's retention period are erased
// (for real: Collections::EraseFacesIndexedBefore) and each erasure is
// recorded in the audit log as operation "RetentionErase": by principal
// "system" from source "retention" for the service's sweeps, by the operator
// from source "cli" for `candor collection expire`.
//
// Thread safety: as Collections and AuditLog; the service runs it from one
// thread.
#ifndef CANDOR_SERVER_RETENTION_H_
#define CANDOR_SERVER_RETENTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "candor/status.h"

namespace candor::server {

inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// The time before which a face indexed is expired under `policy` at `now_ms`
// (never before the epoch: nothing was indexed then); nullopt when the policy
// keeps faces until they are deleted (RetentionDays 0).
std::optional<int64_t> RetentionCutoffMs(const CollectionPolicy& policy, int64_t now_ms);

// Erases the faces of one collection that are expired at `now_ms` and, when
// any were, appends one "RetentionErase" event by `principal` from `source`
// (the collection's purpose, the FaceIds, RetentionDays, IndexedBeforeMs).
// Returns the FaceIds erased: none when the policy keeps faces until deleted.
// NotFound when there is no such collection. `audit` may be null (nothing
// recorded); if the event cannot be appended, the faces stay erased and the
// error is returned.
StatusOr<std::vector<std::string>> ExpireCollection(Collections& collections,
                                                    audit::AuditLog* audit,
                                                    const std::string& collection_id,
                                                    int64_t now_ms, const std::string& principal,
                                                    const std::string& source);

struct RetentionSweep {
  int64_t collections_checked = 0;
  int64_t faces_erased = 0;
};

// ExpireCollection on every collection at time `now_ms` (the clock is a
// parameter so that tests can move it), as principal "system" from source
// "retention". A collection deleted meanwhile is skipped. `audit` may be null.
StatusOr<RetentionSweep> RunRetention(Collections& collections, audit::AuditLog* audit,
                                      int64_t now_ms);

}  // namespace candor::server

#endif  // CANDOR_SERVER_RETENTION_H_
