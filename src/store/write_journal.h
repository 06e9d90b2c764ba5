// The store's audit journal: every write transaction made on behalf of an
// audited call carries, in the same transaction, a row naming the call (its
// request id, operation, principal, source, reason) and what it changed. The
// audit record of the call is appended after the store commits; once it is,
// the row is resolved and deleted with the next write. So a kill -9 between
// the commit and the audit append leaves the row behind: at the next start
// the service appends the audit record from it (server/audit_recovery.h),
// and `candor audit verify` counts it meanwhile. No face, user, association,
// policy or tag is ever stored without either its audit record or its
// journal row.
//
// The call is named per thread: RunOperation (server/operations.cc) and the
// retention sweep set a ScopedWriteOrigin for the duration of the call, and
// the store's write transactions on that thread pick it up. Writes made
// without one (tests, migrations) leave no row.
//
// Thread safety: the origin and the change list are thread-local.
#ifndef CANDOR_STORE_WRITE_JOURNAL_H_
#define CANDOR_STORE_WRITE_JOURNAL_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace candor::store {

struct WriteOrigin {
  std::string request_id;
  std::string operation;
  std::string principal;
  std::string source;
  std::string reason;
  std::string collection_id;  // empty when the call names none
  int64_t time_ms = 0;        // when the call began
  // Journal rows written for the call so far (by the store).
  mutable int rows_written = 0;
};

// Sets the origin of this thread's writes until destroyed (not nestable:
// the inner one wins while it lives, then the outer one is back).
class ScopedWriteOrigin {
 public:
  explicit ScopedWriteOrigin(WriteOrigin origin);
  ~ScopedWriteOrigin();
  // Whether a write of the call left a journal row (which its audit record
  // must then resolve).
  bool wrote() const { return origin_.rows_written > 0; }
  ScopedWriteOrigin(const ScopedWriteOrigin&) = delete;
  ScopedWriteOrigin& operator=(const ScopedWriteOrigin&) = delete;

 private:
  WriteOrigin origin_;
  const WriteOrigin* outer_;
};

// This thread's origin, or null.
const WriteOrigin* CurrentWriteOrigin();

// The process's node: which audit log its calls' records go to
// (server::JournalNode). Every journal row names it ("Node"), so that on a
// store several nodes share (PostgreSQL) a node recovers only the rows of
// its own calls, never those of another node in flight. Set once at start,
// before any write; empty (the default) writes no "Node".
void SetJournalNode(std::string node);

// Within a write transaction: adds `change` (e.g. {"FaceIds": [...]}) to
// the journal row the transaction will leave. Nothing outside one.
void NoteChange(nlohmann::json change);

// For the store's transaction code: collects NoteChange's calls on this
// thread while it lives.
class ScopedChangeList {
 public:
  ScopedChangeList();
  ~ScopedChangeList();
  ScopedChangeList(const ScopedChangeList&) = delete;
  ScopedChangeList& operator=(const ScopedChangeList&) = delete;
  const nlohmann::json& changes() const { return changes_; }

 private:
  nlohmann::json changes_ = nlohmann::json::array();
  nlohmann::json* outer_;
};

// One row: the call, what its transaction did ("what": the store's own
// description), and its changes.
struct JournalEntry {
  int64_t id = 0;
  std::string request_id;
  nlohmann::json entry;  // {"RequestId", "Operation", "Principal", "Source", "Reason",
                         //  "CollectionId", "TimeMs", "What", "Changes": [...], "Node"}
};

nlohmann::json JournalJson(const WriteOrigin& origin, const std::string& what,
                           const nlohmann::json& changes);

}  // namespace candor::store

#endif  // CANDOR_STORE_WRITE_JOURNAL_H_
