// How one API node keeps its in-memory collections in step with the other
// nodes' writes to a shared store (PostgreSQL; issue 17), by following the
// store's change log (store/change_feed.h).
//
// The node remembers the number of the last change-log row it applied
// (applied_seq). Rows are applied in order, one at a time, under one mutex,
// by whoever needs them first:
//  - the follower thread, woken by the store's notification on its own
//    connection (ChangeNotifier), or every poll_ms when none comes, and
//    after its connection was lost and made again (it then reads the log
//    from applied_seq: nothing is missed and nothing reloaded);
//  - a read (SyncForRead, before a search when sync_reads): it reads the
//    number of the last committed row (one indexed SELECT) and applies the
//    rows up to it first, so no search on any node answers with a face whose
//    deletion was acknowledged before the search began;
//  - a write of this node (ApplyOwn): it applies the rows before its own,
//    then its own change as it knows it (no read), so the node's writes are
//    in memory when it acknowledges them, and never applied twice.
// A row names the faces it changed; applying it reads their current rows
// (with the embeddings of faces not yet in memory) on the follower's own
// store connection and makes memory say the same: adding, removing, or
// setting the user of each face. So replaying a row twice, or after a later
// one, is harmless: memory converges to the tables. A collection loaded while
// rows arrive replays the rows of that collection after the number it
// started from (Publish).
//
// When the log has been pruned past applied_seq (a node away longer than
// change_log_retention_ms), every collection is dropped from memory and
// reloaded from the tables on first use (full_rebuilds, and a line on
// stderr).
//
// Thread safety: safe for concurrent use. The hooks run with the apply mutex
// held: they must not call back into StoreSync.
#ifndef CANDOR_COLLECTIONS_STORE_SYNC_H_
#define CANDOR_COLLECTIONS_STORE_SYNC_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "candor/collections.h"
#include "candor/status.h"
#include "store/change_feed.h"
#include "store/store.h"

namespace candor {

struct StoreSyncOptions {
  // Fallback poll of the log, milliseconds. 0: no follower thread and no
  // listener (a short-lived process: changes are applied only when a read or
  // a write of this node asks).
  int poll_ms = 1000;
  int64_t change_log_retention_ms = 3'600'000;  // rows older are pruned (by any node)
  int prune_interval_ms = 60'000;          // how often this node prunes
  int batch = 1000;                        // rows read at a time
};

// What applying a change does to the collections (CollectionsImpl).
struct StoreSyncHooks {
  // Makes the in-memory state of the collection, if loaded, agree with the
  // current rows of `face_ids` (read from `feed`).
  std::function<Status(const std::string& collection_id, const std::vector<std::string>& face_ids,
                       store::Store& feed)>
      refresh_faces;
  // Forgets the collection's in-memory state (it is reloaded on first use).
  std::function<void(const std::string& collection_id)> drop_collection;
  std::function<void()> drop_all;
};

class StoreSync {
 public:
  // Opens the follower's own store connection and listener on the database
  // `conninfo`, starts at the log's current last number (collections loaded
  // after this read the tables), and starts the follower thread. `main` (the
  // node's store, for the one SELECT before a read) must outlive it.
  static StatusOr<std::unique_ptr<StoreSync>> Open(const std::string& conninfo,
                                                   store::Store* main, StoreSyncOptions options,
                                                   StoreSyncHooks hooks);
  ~StoreSync();  // stops the follower thread

  // Applies every row committed before this call.
  Status SyncForRead();
  // After this node's write committed row `seq` on this thread: applies the
  // rows before it, then `apply` (the write's effect on memory), unless row
  // `seq` was applied already (then memory has it from the tables). When the
  // rows before cannot be read, `apply` is left to the follower (which reads
  // row `seq` later) and Ok is returned: the write is committed.
  Status ApplyOwn(int64_t seq, const std::function<Status()>& apply);
  // The number applied so far: a collection loaded from the tables after
  // reading it holds every row up to it.
  int64_t applied_seq() const { return applied_seq_.load(); }
  // Makes a freshly loaded collection visible to the follower (`publish`,
  // under the apply mutex), then replays its rows after `loaded_after` (the
  // applied_seq read before loading) up to what was applied meanwhile.
  Status Publish(const std::string& collection_id, int64_t loaded_after,
                 const std::function<void()>& publish);

  StoreSyncStatus GetStatus();

 private:
  StoreSync(std::unique_ptr<store::Store> feed, std::unique_ptr<store::ChangeNotifier> notifier,
            store::Store* main, StoreSyncOptions options, StoreSyncHooks hooks);
  void Follow();  // the follower thread
  // Applies the rows after applied_seq_ up to `through` (0: all), with
  // apply_mu_ held.
  Status CatchUpLocked(int64_t through);
  // Applies `changes` in order (consecutive face changes of one collection
  // in one refresh); *applied is the number of the last one done.
  Status ApplyLocked(const std::vector<store::ChangeRecord>& changes, int64_t* applied);
  // Times one store round trip of the sync.
  template <typename F>
  auto Timed(F&& f);

  const std::unique_ptr<store::Store> feed_;  // guarded by apply_mu_
  const std::unique_ptr<store::ChangeNotifier> notifier_;
  store::Store* const main_;
  const StoreSyncOptions options_;
  const StoreSyncHooks hooks_;

  std::mutex apply_mu_;
  std::atomic<int64_t> applied_seq_{0};  // written with apply_mu_ held
  std::atomic<int64_t> changes_applied_{0};
  std::atomic<int64_t> full_rebuilds_{0};
  std::atomic<int64_t> errors_{0};
  std::mutex latency_mu_;
  int64_t store_calls_ = 0;  // guarded by latency_mu_
  double store_seconds_ = 0;
  double store_max_seconds_ = 0;

  std::atomic<bool> stop_{false};
  std::thread follower_;
};

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_STORE_SYNC_H_
