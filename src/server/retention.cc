#include "server/retention.h"

#include <algorithm>
#include <optional>

#include "server/wire.h"
#include "store/write_journal.h"

namespace candor::server {

std::optional<int64_t> RetentionCutoffMs(const CollectionPolicy& policy, int64_t now_ms) {
  if (policy.retention_days <= 0) return std::nullopt;
  return std::max<int64_t>(0, now_ms - policy.retention_days * kDayMs);
}

StatusOr<std::vector<std::string>> ExpireCollection(Collections& collections,
                                                    audit::AuditLog* audit,
                                                    const std::string& collection_id,
                                                    int64_t now_ms, const std::string& principal,
                                                    const std::string& source) {
  CANDOR_ASSIGN_OR_RETURN(CollectionPolicy policy, collections.GetCollectionPolicy(collection_id));
  const std::optional<int64_t> cutoff = RetentionCutoffMs(policy, now_ms);
  if (!cutoff) return std::vector<std::string>();
  // The erasure carries its journal row (store/write_journal.h) until the
  // record below is written.
  store::WriteOrigin origin;
  origin.request_id = NewRequestId();
  origin.operation = "RetentionErase";
  origin.principal = principal;
  origin.source = source;
  origin.collection_id = collection_id;
  origin.time_ms = now_ms;
  std::optional<store::ScopedWriteOrigin> scope;
  if (audit != nullptr) scope.emplace(origin);
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> erased,
                          collections.EraseFacesIndexedBefore(collection_id, *cutoff));
  if (erased.empty() || audit == nullptr) return erased;
  audit::AuditEvent event;
  event.request_id = origin.request_id;
  event.principal = principal;
  event.source = source;
  event.operation = "RetentionErase";
  event.collection_id = collection_id;
  event.purpose = policy.purpose;
  event.results = {
      {"FaceIds", erased}, {"RetentionDays", policy.retention_days}, {"IndexedBeforeMs", *cutoff}};
  event.outcome = "ok";
  CANDOR_RETURN_IF_ERROR(audit->Append(event));
  if (scope->wrote()) collections.ResolveAuditJournal(origin.request_id);
  return erased;
}

StatusOr<RetentionSweep> RunRetention(Collections& collections, audit::AuditLog* audit,
                                      int64_t now_ms) {
  RetentionSweep sweep;
  std::string token;
  do {
    CANDOR_ASSIGN_OR_RETURN(CollectionListPage page, collections.ListCollections(token, 1000));
    for (const std::string& id : page.collection_ids) {
      ++sweep.collections_checked;
      auto erased = ExpireCollection(collections, audit, id, now_ms, "system", "retention");
      if (!erased.ok()) {
        if (erased.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
        return erased.status();
      }
      sweep.faces_erased += static_cast<int64_t>(erased->size());
    }
    token = page.next_token;
  } while (!token.empty());
  return sweep;
}

}  // namespace candor::server
