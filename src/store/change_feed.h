// The change feed of a store shared by several API nodes (PostgreSQL,
// issue 17): every write transaction that changes what a node holds in
// memory (faces, their users, collections) also writes one row to the
// store's change log, in the same transaction, numbered by a sequence in
// commit order, and notifies the nodes that listen. Each node applies the
// rows after the last one it applied, in order, to its in-memory indexes
// (collections/store_sync.h).
//
// Commit order: the row's number is taken under a lock held to the commit
// (see pg_changes.cc), so a row is never visible while a smaller number is
// still to come; a reader that has seen row N has seen every committed row
// before it. Numbers are not dense: a rolled-back transaction leaves a gap.
//
// The SQLite store has no change log (one node): its ReadChanges and
// LatestChangeSeq are Unsupported.
#ifndef CANDOR_STORE_CHANGE_FEED_H_
#define CANDOR_STORE_CHANGE_FEED_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "candor/status.h"

namespace candor::store {

// What a change-log row says changed. The names are stored as they are here.
enum class ChangeKind {
  kFacesAdded,         // face_ids were inserted
  kFacesDeleted,       // face_ids were deleted (DeleteFaces, retention)
  kUsersChanged,       // face_ids were associated or disassociated, or a user
                       // created or deleted (face_ids: the faces it held)
  kCollectionCreated,  // no face_ids
  kCollectionDeleted,  // with everything in it; no face_ids
  kPolicyChanged,      // no face_ids
};
std::string_view ChangeKindName(ChangeKind kind);  // "faces_added", ...
// False for a name this build does not know (a newer node's row).
bool ParseChangeKind(std::string_view name, ChangeKind* kind);

struct ChangeRecord {
  int64_t seq = 0;
  std::string collection_id;
  ChangeKind kind = ChangeKind::kFacesAdded;
  std::vector<std::string> face_ids;
  int64_t created_ms = 0;  // the writer's clock at the write
};

// What ReadChanges returns: the rows after `after_seq` in order, and the
// number through which rows have been pruned (a reader that has applied less
// than that has missed rows and must rebuild from the tables).
struct ChangeBatch {
  std::vector<ChangeRecord> changes;
  int64_t pruned_through = 0;
};

// The number of the change row the last write transaction that committed on
// this thread wrote, or 0 when it wrote none (or the store has no change
// log). Set by the store's write calls; read right after one by its caller.
int64_t LastCommittedChangeSeq();
void SetLastCommittedChangeSeq(int64_t seq);

// Wakes a node when another one writes: a connection of its own that
// LISTENs for the store's notifications.
//
// Thread safety: Wait is called by one thread (the node's follower); Wake
// and reconnects() from any.
class ChangeNotifier {
 public:
  virtual ~ChangeNotifier() = default;
  // Returns when a change was notified, after `timeout_ms`, after Wake(), or
  // after the connection was lost and made again (counted by reconnects();
  // notifications sent meanwhile are lost, so the caller must then read the
  // log). While the server cannot be reached it retries every
  // `timeout_ms` and returns after each try.
  virtual void Wait(int timeout_ms) = 0;
  virtual void Wake() = 0;
  virtual int64_t reconnects() const = 0;
};

// The notifier of the PostgreSQL database `conninfo` (its connection is
// named "candor-listener" in pg_stat_activity). Throttling when it cannot
// connect.
StatusOr<std::unique_ptr<ChangeNotifier>> OpenPostgresChangeNotifier(const std::string& conninfo);

}  // namespace candor::store

#endif  // CANDOR_STORE_CHANGE_FEED_H_
