#include "policy/roles.h"

#include <algorithm>
#include <array>
#include <map>

namespace candor::policy {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 5> kNames = {{
    {Role::kAdmin, "admin"},
    {Role::kEnroller, "enroller"},
    {Role::kSearcher, "searcher"},
    {Role::kAnalyst, "analyst"},
    {Role::kAuditor, "auditor"},
}};

const std::map<std::string, std::vector<Role>, std::less<>>& Table() {
  static const auto* table = [] {
    const std::vector<Role> all = AllRoles();
    auto* t = new std::map<std::string, std::vector<Role>, std::less<>>{
        {"CreateCollection", {Role::kAdmin}},
        {"DeleteCollection", {Role::kAdmin}},
        {"DescribeCollection", all},
        {"ListCollections", all},
        {"IndexFaces", {Role::kEnroller}},
        {"DeleteFaces", {Role::kEnroller}},
        {"ListFaces", {Role::kEnroller}},
        {"CreateUser", {Role::kEnroller}},
        {"DeleteUser", {Role::kEnroller}},
        {"ListUsers", {Role::kEnroller}},
        {"AssociateFaces", {Role::kEnroller}},
        {"DisassociateFaces", {Role::kEnroller}},
        {"SearchFaces", {Role::kSearcher}},
        {"SearchFacesByImage", {Role::kSearcher}},
        {"SearchUsers", {Role::kSearcher}},
        {"SearchUsersByImage", {Role::kSearcher}},
        {"CompareFaces", {Role::kSearcher}},
        {"DetectFaces", {Role::kAnalyst}},
        // Tags are labels for billing and housekeeping, not biometric data:
        // whoever administers a collection or processor sets them, and
        // anyone may read them.
        {"TagResource", {Role::kAdmin}},
        {"UntagResource", {Role::kAdmin}},
        {"ListTagsForResource", all},
        {"Candor.GetCollectionPolicy", all},
        {"Candor.GetCallerIdentity", all},
        {"Candor.PutCollectionPolicy", {Role::kAdmin}},
        {"Candor.CreateAccessKey", {Role::kAdmin}},
        {"Candor.ListAccessKeys", {Role::kAdmin}},
        {"Candor.DeleteAccessKey", {Role::kAdmin}},
        {"Candor.ListAuditEvents", {Role::kAuditor}},
        {"Candor.VerifyAuditLog", {Role::kAuditor}},
        {"Candor.GetTransparencyReport", {Role::kAuditor}},
        // A stream processor is a standing search of a collection with a
        // sink outside the service: defining or deleting one is an admin's
        // act (like a policy), running one a searcher's (each session is a
        // search, audited with the starter's reason). Either may stop one;
        // its state (no biometric data) is visible to both and to auditors.
        {"CreateStreamProcessor", {Role::kAdmin}},
        {"DeleteStreamProcessor", {Role::kAdmin}},
        {"StartStreamProcessor", {Role::kSearcher}},
        {"StopStreamProcessor", {Role::kAdmin, Role::kSearcher}},
        {"DescribeStreamProcessor", {Role::kAdmin, Role::kSearcher, Role::kAuditor}},
        {"ListStreamProcessors", {Role::kAdmin, Role::kSearcher, Role::kAuditor}},
        // A stored-video job is a search (StartFaceSearch, audited again when
        // it ends) or a detection, as SearchFacesByImage and DetectFaces.
        {"StartFaceSearch", {Role::kSearcher}},
        {"GetFaceSearch", {Role::kSearcher}},
        {"StartFaceDetection", {Role::kAnalyst}},
        {"GetFaceDetection", {Role::kAnalyst}},
        // The jobs' states (no results), of the kinds the caller may Get.
        {"Candor.ListVideoJobs", {Role::kSearcher, Role::kAnalyst}},
    };
    return t;
  }();
  return *table;
}

}  // namespace

std::string_view RoleName(Role role) {
  for (const auto& [r, name] : kNames) {
    if (r == role) return name;
  }
  return "?";
}

StatusOr<std::vector<Role>> ParseRoles(std::string_view text) {
  std::vector<Role> roles;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      auto it = std::find_if(kNames.begin(), kNames.end(),
                             [&](const auto& p) { return p.second == item; });
      if (it == kNames.end()) {
        return Status::InvalidArgument("unknown role '" + std::string(item.substr(0, 64)) +
                                       "' (admin, enroller, searcher, analyst, auditor)");
      }
      if (std::find(roles.begin(), roles.end(), it->first) == roles.end()) {
        roles.push_back(it->first);
      }
    }
    start = comma + 1;
  }
  if (roles.empty()) {
    return Status::InvalidArgument(
        "a key needs at least one role (admin, enroller, searcher, analyst, auditor)");
  }
  return roles;
}

std::string RolesText(const std::vector<Role>& roles) {
  std::string out;
  for (Role r : roles) {
    if (!out.empty()) out += ',';
    out += RoleName(r);
  }
  return out;
}

std::vector<Role> AllRoles() {
  std::vector<Role> all;
  for (const auto& [r, name] : kNames) all.push_back(r);
  return all;
}

std::vector<Role> RolesFor(std::string_view operation) {
  auto it = Table().find(operation);
  return it == Table().end() ? std::vector<Role>{} : it->second;
}

Status Authorize(std::string_view principal, const std::vector<Role>& roles,
                 std::string_view operation) {
  const std::vector<Role> allowed = RolesFor(operation);
  for (Role r : roles) {
    if (std::find(allowed.begin(), allowed.end(), r) != allowed.end()) return Status::Ok();
  }
  std::string message = "principal " + std::string(principal) + " (roles: " +
                        (roles.empty() ? std::string("none") : RolesText(roles)) +
                        ") may not call " + std::string(operation);
  if (!allowed.empty()) message += "; it needs the role " + RolesText(allowed);
  return Status::PermissionDenied(message);
}

}  // namespace candor::policy
