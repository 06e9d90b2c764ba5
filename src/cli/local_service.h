// The service, as `candor serve` runs it, for one command on a local data
// directory: the engine, the collections and the audit log, and the caller
// ("local:<login name>" from source "cli", with every role: whoever can run
// the command on the data directory owns its files anyway). Used by
// `candor collection` and `candor video --collection`.
#ifndef CANDOR_CLI_LOCAL_SERVICE_H_
#define CANDOR_CLI_LOCAL_SERVICE_H_

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "cli/cli_common.h"
#include "server/operations.h"

namespace candor::cli {

// --data-dir if given, else $CANDOR_DATA_DIR, else ./candor-data.
std::string LocalDataDir(const std::string& flag);

// "local:" and the login name of the effective user ("local:local" when it
// has none, as in a container without a passwd entry).
std::string LocalPrincipal();

struct LocalServiceArgs {
  std::string data_dir;   // resolved (LocalDataDir)
  std::string audit_key;  // empty: <data-dir>/audit-signing.key
  std::string reason;     // the caller's reason (X-Candor-Reason)
  // When set, collections, faces, users and policies are in this PostgreSQL
  // database (as `candor serve --store`), and the audit log there too (one
  // chain with the servers').
  std::string store;
};

// Thread safety: Run may be called from many threads at once (import).
class LocalService {
 public:
  static StatusOr<std::unique_ptr<LocalService>> Open(const GlobalOptions& global,
                                                      const LocalServiceArgs& args,
                                                      bool needs_engine_workers);

  // The service's answer to `operation` with `body`, as this command's
  // caller, under a request id of its own.
  StatusOr<nlohmann::json> Run(std::string_view operation, const nlohmann::json& body) const;

  Engine& engine() { return *engine_; }
  Collections& collections() { return *collections_; }
  audit::AuditLog* audit() { return audit_.get(); }
  const server::CallContext& caller() const { return call_; }
  const std::string& principal() const { return call_.principal; }

  // Deletes the store's journal rows of this command's audited calls.
  ~LocalService();

 private:
  LocalService() = default;

  // Destroyed in reverse order: the audit log signs a last checkpoint, then
  // the store closes, then the engine it uses.
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Collections> collections_;
  std::unique_ptr<audit::AuditLog> audit_;
  server::ServiceContext service_;
  server::CallContext call_;
};

}  // namespace candor::cli

#endif  // CANDOR_CLI_LOCAL_SERVICE_H_
