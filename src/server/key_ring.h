// The service's access keys: the credentials file with each principal's
// roles, reloaded when the file changes (so that `candor keys` takes effect
// without a restart), and the Candor.CreateAccessKey / ListAccessKeys /
// DeleteAccessKey operations that change it.
//
// Thread safety: all methods may be called from any thread; a snapshot
// returned by Current() stays valid and unchanged while it is held.
#ifndef CANDOR_SERVER_KEY_RING_H_
#define CANDOR_SERVER_KEY_RING_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "candor/status.h"
#include "policy/roles.h"
#include "server/credentials.h"
#include "server/operations.h"

namespace candor::server {

// One reading of the credentials file.
struct KeySnapshot {
  CredentialStore store;
  std::map<std::string, std::vector<policy::Role>> roles;  // by principal
};

class KeyRing {
 public:
  // Reads `path` (empty: no keys); every principal must have a role.
  static StatusOr<std::unique_ptr<KeyRing>> Load(const std::string& path);

  // The keys as of at most a second ago: the file's time and size are looked
  // at once a second, and a changed file is read again (one that no longer
  // parses keeps the old keys, and says so on stderr).
  std::shared_ptr<const KeySnapshot> Current();

  // Candor.CreateAccessKey {"Principal", "Roles": [...], "Reason"}: the new
  // key, its secret shown this once. `record` writes the audit record before
  // the file changes.
  StatusOr<nlohmann::json> Create(const nlohmann::json& body,
                                  const ServiceContext::KeyAdmin::Record& record);
  // Candor.ListAccessKeys: principals, key ids, roles and case bindings.
  StatusOr<nlohmann::json> List();
  // Candor.DeleteAccessKey {"AccessKeyId"}.
  StatusOr<nlohmann::json> Delete(const nlohmann::json& body,
                                  const ServiceContext::KeyAdmin::Record& record);

 private:
  using Clock = std::chrono::steady_clock;
  explicit KeyRing(std::string path, std::shared_ptr<const KeySnapshot> keys)
      : path_(std::move(path)), keys_(std::move(keys)) {}
  Status Reload();

  const std::string path_;
  std::mutex mu_;
  std::shared_ptr<const KeySnapshot> keys_;
  Clock::time_point checked_ = Clock::now();
  std::pair<int64_t, int64_t> stamp_{-1, -1};  // mtime ns, size
};

}  // namespace candor::server

#endif  // CANDOR_SERVER_KEY_RING_H_
