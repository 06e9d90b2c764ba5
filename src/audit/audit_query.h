// What both audit logs (SQLite, PostgreSQL) check of a query, and their
// next tokens: base64("<next seq>.<digest of the query's filters>"), so that
// a token is refused with other filters (it would silently skip records).
//
// Thread safety: functions without shared state.
#ifndef CANDOR_AUDIT_AUDIT_QUERY_H_
#define CANDOR_AUDIT_AUDIT_QUERY_H_

#include <cstdint>
#include <string>

#include "audit/audit_log.h"
#include "candor/status.h"

namespace candor::audit {

// AuditQuery::max_results, as Rekognition's list operations allow.
inline constexpr int kMaxQueryResults = 1000;

// The page's first seq (1 without a token). InvalidArgument for a bad
// MaxResults or time range, InvalidPaginationToken for a token this log did
// not issue for this query. Sets *digest for EncodeToken.
StatusOr<int64_t> CheckQuery(const AuditQuery& query, std::string* digest);

std::string EncodeToken(int64_t seq, const std::string& digest);

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_AUDIT_QUERY_H_
