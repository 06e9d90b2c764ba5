// The service's access keys: the credentials file with each principal's
// roles, reloaded when the file changes (so that `candor keys` takes effect
// without a restart), and the Candor.CreateAccessKey / ListAccessKeys /
// DeleteAccessKey operations that change it.
//
// On a cluster (`candor serve --store postgresql://...`) the keys are the
// database's instead (store/pg_keys.h), one key ring for every node: a
// thread of the node reads their version number once a second and the keys
// again when it changed (requests never wait for it), and a request that
// names a key id the node does not know reads them at once (at most 4 times
// a second, waiting at most 2 s); so a key created on one node signs requests on
// every other at once, and a deleted key stops working on every node within
// a second (plus one round trip). When the database cannot be read, the keys
// last read stay in force (and it says so on stderr).
//
// Thread safety: all methods may be called from any thread; a snapshot
// returned by Current() stays valid and unchanged while it is held.
#ifndef CANDOR_SERVER_KEY_RING_H_
#define CANDOR_SERVER_KEY_RING_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "candor/status.h"
#include "policy/roles.h"
#include "server/credentials.h"
#include "server/operations.h"
#include "store/pg_keys.h"

namespace candor::server {

// A key of the cluster's key ring as a credential (roles and reason as the
// attributes "role" and "reason"), and back.
Credential CredentialFromRecord(const store::AccessKeyRecord& record);
store::AccessKeyRecord RecordFromCredential(const Credential& credential);

// One reading of the credentials file.
struct KeySnapshot {
  CredentialStore store;
  std::map<std::string, std::vector<policy::Role>> roles;  // by principal
};

class KeyRing {
 public:
  // Reads `path` (empty: no keys); every principal must have a role.
  static StatusOr<std::unique_ptr<KeyRing>> Load(const std::string& path);
  // The cluster's key ring in the database of `conninfo` (store/pg_keys.h).
  static StatusOr<std::unique_ptr<KeyRing>> OpenShared(const std::string& conninfo);
  // Stops the cluster's poller.
  ~KeyRing();

  // The keys as of at most a second ago: the file's time and size are looked
  // at once a second, and a changed file is read again (one that no longer
  // parses keeps the old keys, and says so on stderr).
  std::shared_ptr<const KeySnapshot> Current();
  // Current(), read again first on a cluster when it does not hold
  // `access_key_id` (rate-limited: an unknown id costs one read of the
  // database at most every 250 ms).
  std::shared_ptr<const KeySnapshot> CurrentFor(std::string_view access_key_id);
  // On a cluster: what Current() does once a second, now (for tests and
  // tools); nothing with a file.
  void Refresh() {
    if (shared_) RefreshShared(true);
  }

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
  explicit KeyRing(std::string path, std::unique_ptr<store::PgAccessKeys> shared,
                   std::shared_ptr<const KeySnapshot> keys)
      : path_(std::move(path)), shared_(std::move(shared)), keys_(std::move(keys)) {}
  Status Reload();
  // On a cluster: reads the keys again when their version changed; one
  // thread at a time: when another is at it, returns at once, or with
  // `wait` after at most 2 s (keeping the keys it has).
  void RefreshShared(bool wait);
  void Poll();  // the cluster's poller thread

  const std::string path_;                        // the file; empty on a cluster
  std::unique_ptr<store::PgAccessKeys> shared_;   // the cluster's; null with a file
  std::timed_mutex refresh_mu_;                   // one RefreshShared at a time
  int64_t version_ = -1;                          // guarded by refresh_mu_
  bool read_failing_ = false;                     // guarded by refresh_mu_
  std::mutex mu_;
  std::shared_ptr<const KeySnapshot> keys_;
  Clock::time_point checked_ = Clock::now();
  Clock::time_point unknown_checked_ = Clock::now() - std::chrono::seconds(1);
  bool stopping_ = false;              // guarded by mu_
  std::condition_variable stop_wake_;  // with mu_
  std::thread poller_;                 // on a cluster
  std::pair<int64_t, int64_t> stamp_{-1, -1};  // mtime ns, size
};

}  // namespace candor::server

#endif  // CANDOR_SERVER_KEY_RING_H_
