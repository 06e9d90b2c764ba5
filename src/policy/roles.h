// Who may do what: the roles of principals and the operations each allows.
//
//   admin     collections (create, delete), policies, access keys
//   enroller  IndexFaces, DeleteFaces, ListFaces, users (create, delete,
//             associate, disassociate, list)
//   searcher  SearchFaces, SearchFacesByImage, SearchUsers,
//             SearchUsersByImage, CompareFaces, Start/GetFaceSearch
//   analyst   DetectFaces, Start/GetFaceDetection
//   auditor   the audit log and the transparency report
// Stream processors: admin creates and deletes them, searcher starts them,
// either stops them; admin, searcher and auditor may describe and list them.
// Every role may DescribeCollection, ListCollections,
// Candor.GetCollectionPolicy (names and sizes, no biometric data) and
// Candor.GetCallerIdentity (the caller's own principal and roles). Roles do
// not include one another: an admin who must search also needs "searcher",
// so that the keys that can lower a floor and the keys that search are kept
// apart unless someone decides otherwise.
//
// Thread safety: pure functions.
#ifndef CANDOR_POLICY_ROLES_H_
#define CANDOR_POLICY_ROLES_H_

#include <string>
#include <string_view>
#include <vector>

#include "candor/status.h"

namespace candor::policy {

enum class Role { kAdmin, kEnroller, kSearcher, kAnalyst, kAuditor };

std::string_view RoleName(Role role);
// "searcher" or "searcher,enroller" (spaces allowed). Empty text is an error:
// a key without a role can do nothing, so it is refused when it is created.
StatusOr<std::vector<Role>> ParseRoles(std::string_view text);
std::string RolesText(const std::vector<Role>& roles);

// Every role, for anonymous local development.
std::vector<Role> AllRoles();

// The roles that may call `operation` (a Rekognition name such as
// "SearchFacesByImage", or a Candor one such as "Candor.ListAuditEvents");
// empty for an unknown operation.
std::vector<Role> RolesFor(std::string_view operation);

// OK, or AccessDeniedException naming the principal, the operation and the
// roles that would allow it.
Status Authorize(std::string_view principal, const std::vector<Role>& roles,
                 std::string_view operation);

}  // namespace candor::policy

#endif  // CANDOR_POLICY_ROLES_H_
