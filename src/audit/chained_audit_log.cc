#include "audit/chained_audit_log.h"

#include <chrono>
#include <exception>
#include <utility>

#include "audit/audit_event.h"

namespace candor::audit {

int64_t AuditNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ChainedAuditLog::ChainedAuditLog(const AuditOptions& options)
    : options_(options),
      group_commit_([this](const std::vector<PendingAppend*>& batch) { CommitBatch(batch); }) {}

Status ChainedAuditLog::Append(AuditEvent& event) {
  if (!writable()) return ReadOnly();
  PendingAppend pending;
  CANDOR_RETURN_IF_ERROR(PrepareAppend(event, &pending));
  return group_commit_.Submit(&pending);
}

Status ChainedAuditLog::Checkpoint() {
  if (!writable()) return ReadOnly();
  PendingAppend pending;  // no event: a checkpoint request
  return group_commit_.Submit(&pending);
}

void ChainedAuditLog::CommitBatch(const std::vector<PendingAppend*>& batch) {
  const int64_t now_ms = AuditNowMs();
  std::vector<AssignedRecord> assigned;
  Status committed;
  try {
    committed = InWriteTransaction([&] { return WriteBatch(batch, now_ms, &assigned); });
  } catch (const std::exception& e) {  // bad_alloc from the JSON; rolled back
    committed =
        Status::ResourceExhausted(std::string("cannot append to the audit log: ") + e.what());
  }
  FinishBatch(batch, committed, assigned);
}

Status ChainedAuditLog::WriteBatch(const std::vector<PendingAppend*>& batch, int64_t now_ms,
                                   std::vector<AssignedRecord>* assigned) {
  CANDOR_RETURN_IF_ERROR(LockChain());
  CANDOR_ASSIGN_OR_RETURN(ChainHead head, ReadHead());
  bool checkpoint_asked = false;
  for (PendingAppend* p : batch) {
    if (p->event == nullptr) {
      checkpoint_asked = true;
      continue;
    }
    const AuditEvent& event = *p->event;
    if (Status storable = CheckStorable(event); !storable.ok()) {
      p->status = std::move(storable);
      continue;
    }
    const int64_t seq = head.seq + 1;
    const int64_t time_ms = event.time_ms != 0 ? event.time_ms : now_ms;
    p->body["seq"] = seq;
    p->body["time_ms"] = time_ms;
    p->body["prev_hash"] = head.hash;
    StatusOr<std::string> json = StrictCanonicalDump(p->body);
    if (!json.ok()) {
      p->status = json.status();  // this event only; the rest of the batch goes on
      continue;
    }
    std::string hash = ChainHash(head.hash, *json);
    CANDOR_RETURN_IF_ERROR(InsertEvent(seq, time_ms, event, *json, head.hash, hash));
    assigned->push_back({p, seq, time_ms, head.hash, hash});
    head.seq = seq;
    head.hash = std::move(hash);
    if (head.seq - head.checkpoint_seq >= options_.checkpoint_every) {
      CANDOR_RETURN_IF_ERROR(WriteCheckpoint(head, now_ms));
    }
  }
  const bool due = now_ms - head.checkpoint_ms >= int64_t{options_.checkpoint_seconds} * 1000;
  if (head.seq > head.checkpoint_seq && (checkpoint_asked || due)) {
    CANDOR_RETURN_IF_ERROR(WriteCheckpoint(head, now_ms));
  }
  return Status::Ok();
}

Status ChainedAuditLog::WriteCheckpoint(ChainHead& head, int64_t now_ms) {
  CANDOR_RETURN_IF_ERROR(InsertCheckpoint(head, now_ms));
  head.checkpoint_seq = head.seq;
  head.checkpoint_ms = now_ms;
  return Status::Ok();
}

}  // namespace candor::audit
