// What the SQLite and the PostgreSQL audit logs share: appending to one hash
// chain in batches (group_commit.h) and signing checkpoints as they fall due.
// A backend says how to run a write transaction, read the chain's head and
// insert a record or a checkpoint; the order of a batch, the hashes, the
// per-event failures and when a checkpoint is due are decided here, once.
//
// Thread safety: as AuditLog (every method may be called concurrently); the
// backend's write hooks run only on group commit's current leader.
#ifndef CANDOR_AUDIT_CHAINED_AUDIT_LOG_H_
#define CANDOR_AUDIT_CHAINED_AUDIT_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "audit/group_commit.h"
#include "candor/status.h"

namespace candor::audit {

// The last record and the last checkpoint, read inside a write transaction.
struct ChainHead {
  int64_t seq = 0;
  std::string hash{kGenesisHash};
  int64_t checkpoint_seq = 0;
  int64_t checkpoint_ms = 0;  // the log's creation time before the first checkpoint
};

int64_t AuditNowMs();

class ChainedAuditLog : public AuditLog {
 public:
  explicit ChainedAuditLog(const AuditOptions& options);

  Status Append(AuditEvent& event) final;
  Status Checkpoint() final;

 protected:
  // Backends call Checkpoint() in their destructors (the closing checkpoint),
  // while their connections still exist.
  ~ChainedAuditLog() override = default;

  // Null writer: a read-only log; Append and Checkpoint answer ReadOnly().
  virtual bool writable() const = 0;
  virtual Status ReadOnly() const = 0;
  // Runs `body` in one write transaction (rolled back when it fails).
  virtual Status InWriteTransaction(const std::function<Status()>& body) = 0;
  // Inside the transaction, before the head is read: whatever keeps other
  // writers of the same chain out until commit (PostgreSQL: an advisory lock).
  virtual Status LockChain() { return Status::Ok(); }
  // An event the backend cannot store, refused for itself alone (the rest of
  // the batch goes on).
  virtual Status CheckStorable(const AuditEvent& /*event*/) { return Status::Ok(); }
  virtual StatusOr<ChainHead> ReadHead() = 0;
  virtual Status InsertEvent(int64_t seq, int64_t time_ms, const AuditEvent& event,
                             const std::string& json, const std::string& prev_hash,
                             const std::string& hash) = 0;
  // Signs (seq, hash, now_ms) of `head` and stores the checkpoint.
  virtual Status InsertCheckpoint(const ChainHead& head, int64_t now_ms) = 0;

  const AuditOptions options_;

 private:
  void CommitBatch(const std::vector<PendingAppend*>& batch);
  Status WriteBatch(const std::vector<PendingAppend*>& batch, int64_t now_ms,
                    std::vector<AssignedRecord>* assigned);
  Status WriteCheckpoint(ChainHead& head, int64_t now_ms);

  GroupCommit group_commit_;
};

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_CHAINED_AUDIT_LOG_H_
