#include "policy/search_policy.h"

#include <algorithm>
#include <cstdio>

namespace candor::policy {
namespace {

std::string Percent(float v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

}  // namespace

StatusOr<AppliedSearchPolicy> ApplySearchPolicy(const CollectionPolicy& policy,
                                                const std::string& collection_id,
                                                float threshold, int max_results,
                                                const std::string& reason,
                                                std::string_view how_to_give_reason) {
  AppliedSearchPolicy out;
  out.threshold = threshold;
  if (threshold < policy.threshold_floor) {
    if (policy.refuse_below_floor) {
      return Status::PermissionDenied("the policy of collection " + collection_id +
                                      " refuses searches below " +
                                      Percent(policy.threshold_floor) + " (asked: " +
                                      Percent(threshold) + ")");
    }
    out.threshold = policy.threshold_floor;
    out.raised = true;
  }
  if (policy.reason_required && reason.empty()) {
    return Status::PermissionDenied("the policy of collection " + collection_id +
                                    " requires a reason for every search: " +
                                    std::string(how_to_give_reason));
  }
  out.max_results = std::min(max_results, policy.max_faces);
  return out;
}

}  // namespace candor::policy
