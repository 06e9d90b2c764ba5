// A collection's policy applied to one search: the threshold raised to the
// floor (or the search refused), a reason demanded where the policy requires
// one, and MaxFaces capped. One function for every way of searching (image
// and face searches in server/operations.cc, `candor video --collection`,
// stream processor sessions), so that they cannot drift apart.
//
// Thread safety: pure function.
#ifndef CANDOR_POLICY_SEARCH_POLICY_H_
#define CANDOR_POLICY_SEARCH_POLICY_H_

#include <string>
#include <string_view>

#include "candor/collections.h"
#include "candor/status.h"

namespace candor::policy {

struct AppliedSearchPolicy {
  float threshold = 0;  // after the floor
  int max_results = 0;  // after the cap
  bool raised = false;  // the threshold was raised to the floor
};

// PermissionDenied (AccessDeniedException) when the policy refuses the
// threshold, or requires a reason and `reason` is empty; `how_to_give_reason`
// ends that message ("send the X-Candor-Reason header ...").
StatusOr<AppliedSearchPolicy> ApplySearchPolicy(const CollectionPolicy& policy,
                                                const std::string& collection_id,
                                                float threshold, int max_results,
                                                const std::string& reason,
                                                std::string_view how_to_give_reason);

}  // namespace candor::policy

#endif  // CANDOR_POLICY_SEARCH_POLICY_H_
