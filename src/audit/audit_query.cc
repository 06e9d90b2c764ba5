#include "audit/audit_query.h"

#include <optional>

#include "audit/audit_crypto.h"

namespace candor::audit {
namespace {

// Hex digits of the query digest a next token carries.
constexpr size_t kTokenDigestChars = 16;

std::string QueryDigest(const AuditQuery& q) {
  std::string filters = std::to_string(q.from_ms) + '\n' + std::to_string(q.to_ms) + '\n';
  for (const std::string* s : {&q.principal, &q.collection_id, &q.operation}) {
    filters += std::to_string(s->size()) + ':' + *s;
  }
  return Sha256Hex(filters).substr(0, kTokenDigestChars);
}

StatusOr<int64_t> DecodeToken(const std::string& token, const std::string& digest) {
  const Status refused = Status::InvalidPaginationToken(
      "NextToken is not one that this audit log issued for this query");
  const std::optional<std::string> payload = Base64Decode(token);
  if (!payload) return refused;
  const size_t dot = payload->find('.');
  // 18 digits: any seq, and never an overflow.
  if (dot == std::string::npos || dot == 0 || dot > 18) return refused;
  int64_t seq = 0;
  for (size_t i = 0; i < dot; ++i) {
    const char c = (*payload)[i];
    if (c < '0' || c > '9') return refused;
    seq = seq * 10 + (c - '0');
  }
  if (seq < 1 || payload->substr(dot + 1) != digest) return refused;
  return seq;
}

}  // namespace

StatusOr<int64_t> CheckQuery(const AuditQuery& query, std::string* digest) {
  if (query.max_results < 1 || query.max_results > kMaxQueryResults) {
    return Status::InvalidArgument("MaxResults must be between 1 and " +
                                   std::to_string(kMaxQueryResults) + ", got " +
                                   std::to_string(query.max_results));
  }
  if (query.from_ms > query.to_ms) {
    return Status::InvalidArgument("the start of the time range is after its end");
  }
  *digest = QueryDigest(query);
  if (query.next_token.empty()) return int64_t{1};
  return DecodeToken(query.next_token, *digest);
}

std::string EncodeToken(int64_t seq, const std::string& digest) {
  return Base64Encode(std::to_string(seq) + "." + digest);
}

}  // namespace candor::audit
