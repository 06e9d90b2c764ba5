#include "cli/local_service.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "policy/roles.h"
#include "server/audit_journal.h"
#include "server/wire.h"
#include "store/write_journal.h"

namespace candor::cli {

std::string LocalDataDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* v = std::getenv("CANDOR_DATA_DIR"); v != nullptr && *v != '\0') return v;
  return "candor-data";
}

std::string LocalPrincipal() {
  const passwd* pw = getpwuid(geteuid());
  const bool named = pw != nullptr && pw->pw_name != nullptr && pw->pw_name[0] != '\0';
  return std::string("local:") + (named ? pw->pw_name : "local");
}

StatusOr<std::unique_ptr<LocalService>> LocalService::Open(const GlobalOptions& global,
                                                           const LocalServiceArgs& args,
                                                           bool needs_engine_workers) {
  Status reason = server::ValidateReason(args.reason);
  if (!reason.ok()) return Status::InvalidArgument("--reason: " + reason.message());
  std::unique_ptr<LocalService> s(new LocalService);
  GlobalOptions g = global;
  if (!needs_engine_workers && g.workers == 0) g.workers = 1;
  const std::filesystem::path dir = args.data_dir;
  CANDOR_ASSIGN_OR_RETURN(s->engine_, MakeEngine(g));
  CANDOR_ASSIGN_OR_RETURN(s->collections_,
                          Collections::Open(s->engine_.get(),
                                            {.data_dir = dir.string(),
                                             .store_uri = args.store,
                                             // One command: its reads catch up, no follower.
                                             .sync_poll_ms = 0}));
  audit::AuditOptions audit_options;
  audit_options.path = (dir / "audit.db").string();
  // With --store the command is one more node of the cluster: its records
  // join the one chain in PostgreSQL (its key stays in the data directory).
  audit_options.store_uri = args.store;
  audit_options.key_path =
      args.audit_key.empty() ? (dir / "audit-signing.key").string() : args.audit_key;
  CANDOR_ASSIGN_OR_RETURN(s->audit_, audit::AuditLog::Open(audit_options));
  store::SetJournalNode(server::JournalNode((dir / "audit.db").string()));
  s->service_.engine = s->engine_.get();
  s->service_.collections = s->collections_.get();
  s->service_.audit = s->audit_.get();
  s->call_.principal = LocalPrincipal();
  s->call_.roles = policy::AllRoles();
  s->call_.source = "cli";
  s->call_.reason = args.reason;
  return s;
}

LocalService::~LocalService() {
  if (collections_ != nullptr) (void)collections_->FlushAuditJournal();
}

StatusOr<nlohmann::json> LocalService::Run(std::string_view operation,
                                           const nlohmann::json& body) const {
  server::CallContext call = call_;
  call.request_id = server::NewRequestId();
  return server::RunOperation(operation, body, service_, call);
}

}  // namespace candor::cli
