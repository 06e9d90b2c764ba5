// The store's audit journal (store/write_journal.h) at the audit log's
// side: recovery at start, and `candor audit verify`'s cross-check of the
// store against the log.
#ifndef CANDOR_SERVER_AUDIT_JOURNAL_H_
#define CANDOR_SERVER_AUDIT_JOURNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "candor/status.h"
#include "store/inventory.h"

namespace candor::server {

struct JournalRecovery {
  int64_t calls = 0;      // calls with journal rows not yet resolved
  int64_t recovered = 0;  // of which the audit record was written now
  int64_t other_nodes = 0;  // calls of other nodes' (left to them)
};

// This node's name in the journal: the host and the audit log's path, so
// that the CLI and `candor serve` on one data directory are one node.
std::string JournalNode(const std::string& audit_path);

// For every call whose journal rows have no audit record (the process
// stopped between the store's commit and the audit append): appends one,
// with the call's operation, principal, source, reason and request id, and
// results {"Recovered": ..., "Changes": [...]} listing what the store
// committed (FaceIds, UserId, ...). Calls that have their record are
// resolved. Then the resolved rows are deleted. Run at start, before any
// request is served (a call in flight elsewhere would be recovered twice).
// Rows naming another node than `node` are left alone: on a shared store
// (PostgreSQL) they are calls of another node, in flight or to be recovered
// by that node into its own log. Rows naming no node (older rows) are this
// node's.
StatusOr<JournalRecovery> RecoverAuditJournal(Collections& collections, audit::AuditLog& audit,
                                              const std::string& node = "");

struct StoreCheck {
  int64_t collections = 0, faces = 0, users = 0, policies = 0;
  int64_t pending_calls = 0;  // journal rows with no audit record yet
  // One line per row of the store that no audit record accounts for, and
  // per call whose record is pending; empty when all is accounted for.
  std::vector<std::string> problems;
};

// Reads the store in `data_dir` (read-only, beside a running server too)
// and the whole log: every collection must have a CreateCollection record,
// every face an IndexFaces record listing its FaceId, every user a
// CreateUser record, every association an AssociateFaces record for its
// user, every policy a PutCollectionPolicy record, each possibly the
// Recovered record of a journal row. A committed call whose record is still
// pending (its journal row) is a problem too, with what to do about it.
StatusOr<StoreCheck> CrossCheckStore(const std::string& data_dir, audit::AuditLog& log);
// The same for an inventory read already (store::ReadPgInventory for a
// PostgreSQL store): read it before calling this, which then reads the log.
StatusOr<StoreCheck> CrossCheckInventory(const store::Inventory& inv, audit::AuditLog& log);

}  // namespace candor::server

#endif  // CANDOR_SERVER_AUDIT_JOURNAL_H_
