#include "audit/group_commit.h"

#include <cmath>
#include <exception>
#include <optional>
#include <string>

#include "audit/audit_event.h"

namespace candor::audit {

Status PrepareAppend(AuditEvent& event, PendingAppend* pending) {
  for (const std::optional<double>& threshold :
       {event.threshold_requested, event.threshold_applied}) {
    if (threshold && !std::isfinite(*threshold)) {
      return Status::InvalidArgument("an audit event's threshold is not a finite number");
    }
  }
  pending->event = &event;
  try {
    pending->body = EventBody(event);
  } catch (const std::exception& e) {
    return Status::ResourceExhausted(std::string("cannot build an audit record: ") + e.what());
  }
  return Status::Ok();
}

void FinishBatch(const std::vector<PendingAppend*>& batch, const Status& committed,
                 std::vector<AssignedRecord>& assigned) {
  if (!committed.ok()) {
    for (PendingAppend* p : batch) {
      if (p->status.ok()) p->status = committed;
    }
    return;
  }
  for (AssignedRecord& a : assigned) {
    AuditEvent& event = *a.pending->event;
    event.seq = a.seq;
    event.time_ms = a.time_ms;
    event.prev_hash = std::move(a.prev_hash);
    event.hash = std::move(a.hash);
  }
}

Status GroupCommit::Submit(PendingAppend* pending) {
  std::unique_lock lock(mutex_);
  queue_.push_back(pending);
  while (!pending->done) {
    if (committing_) {
      cv_.wait(lock);
      continue;
    }
    committing_ = true;
    std::vector<PendingAppend*> batch;
    batch.swap(queue_);
    lock.unlock();
    commit_(batch);
    lock.lock();
    for (PendingAppend* p : batch) p->done = true;
    committing_ = false;
    cv_.notify_all();
  }
  return pending->status;
}

}  // namespace candor::audit
