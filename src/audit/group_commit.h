// Group commit of audit records (leader/follower), shared by the SQLite log
// (audit_log.cc) and the PostgreSQL log (pg_audit_log.cc).
//
// Append builds its record's JSON in the caller's thread and queues it. The
// first queued thread that finds no commit under way becomes the leader: it
// takes everything queued and hands the batch to the log's commit function
// (one transaction: seq and prev_hash in queue order, any checkpoint due),
// then wakes the others with their results; threads that queued meanwhile
// form the next batch.
//
// Thread safety: Submit may be called from any number of threads; the
// commit function runs in one thread at a time.
#ifndef CANDOR_AUDIT_GROUP_COMMIT_H_
#define CANDOR_AUDIT_GROUP_COMMIT_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "candor/status.h"

namespace candor::audit {

// One queued Append (or, with no event, a checkpoint request).
struct PendingAppend {
  AuditEvent* event = nullptr;  // nullptr: a checkpoint request
  nlohmann::json body;          // EventBody(*event), built by the caller's thread
  Status status;                // set by the commit function when this one failed
  bool done = false;
};

// What a committed record gets back (the commit function fills these and
// AssignCommitted copies them into the events).
struct AssignedRecord {
  PendingAppend* pending;
  int64_t seq;
  int64_t time_ms;
  std::string prev_hash;
  std::string hash;
};

// Checks an event before it is queued (a threshold that is not a finite
// number is InvalidArgument) and sets pending->body.
Status PrepareAppend(AuditEvent& event, PendingAppend* pending);

// After a batch: on failure every record of the batch without its own error
// gets `committed`'s; on success the events get their seq, time and hashes.
void FinishBatch(const std::vector<PendingAppend*>& batch, const Status& committed,
                 std::vector<AssignedRecord>& assigned);

class GroupCommit {
 public:
  using CommitFn = std::function<void(const std::vector<PendingAppend*>&)>;
  explicit GroupCommit(CommitFn commit) : commit_(std::move(commit)) {}

  // Returns once `pending`'s batch is committed or failed: its status.
  Status Submit(PendingAppend* pending);

 private:
  const CommitFn commit_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<PendingAppend*> queue_;  // guarded by mutex_
  bool committing_ = false;            // guarded by mutex_
};

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_GROUP_COMMIT_H_
