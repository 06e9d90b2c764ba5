#include "server/retention.h"

#include <string>
#include <vector>

namespace candor::server {

StatusOr<RetentionSweep> RunRetention(Collections& collections, audit::AuditLog* audit,
                                      int64_t now_ms) {
  constexpr int64_t kDayMs = 24LL * 3600 * 1000;
  RetentionSweep sweep;
  std::string token;
  do {
    CANDOR_ASSIGN_OR_RETURN(CollectionListPage page, collections.ListCollections(token, 1000));
    for (const std::string& id : page.collection_ids) {
      ++sweep.collections_checked;
      auto policy = collections.GetCollectionPolicy(id);
      if (!policy.ok()) {
        if (policy.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
        return policy.status();
      }
      if (policy->retention_days <= 0) continue;
      const int64_t cutoff = now_ms - policy->retention_days * kDayMs;
      auto erased = collections.EraseFacesIndexedBefore(id, cutoff);
      if (!erased.ok()) {
        if (erased.status().code() == StatusCode::kNotFound) continue;
        return erased.status();
      }
      if (erased->empty()) continue;
      sweep.faces_erased += static_cast<int64_t>(erased->size());
      if (audit != nullptr) {
        audit::AuditEvent event;
        event.principal = "system";
        event.source = "retention";
        event.operation = "RetentionErase";
        event.collection_id = id;
        event.purpose = policy->purpose;
        event.results = {{"FaceIds", *erased},
                         {"RetentionDays", policy->retention_days},
                         {"IndexedBeforeMs", cutoff}};
        event.outcome = "ok";
        CANDOR_RETURN_IF_ERROR(audit->Append(event));
      }
    }
    token = page.next_token;
  } while (!token.empty());
  return sweep;
}

}  // namespace candor::server
