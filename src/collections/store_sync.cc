#include "collections/store_sync.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <utility>

#include "store/pg_store.h"

namespace candor {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsFaceChange(store::ChangeKind kind) {
  return kind == store::ChangeKind::kFacesAdded || kind == store::ChangeKind::kFacesDeleted ||
         kind == store::ChangeKind::kUsersChanged;
}

}  // namespace

StatusOr<std::unique_ptr<StoreSync>> StoreSync::Open(const std::string& conninfo,
                                                     store::Store* main, StoreSyncOptions options,
                                                     StoreSyncHooks hooks) {
  CANDOR_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> feed, store::OpenPostgresStore(conninfo));
  std::unique_ptr<store::ChangeNotifier> notifier;
  if (options.poll_ms > 0) {
    CANDOR_ASSIGN_OR_RETURN(notifier, store::OpenPostgresChangeNotifier(conninfo));
  }
  // Listening before reading the start: a change committed in between is
  // both notified and after the start.
  CANDOR_ASSIGN_OR_RETURN(const int64_t start, feed->LatestChangeSeq());
  std::unique_ptr<StoreSync> sync(new StoreSync(std::move(feed), std::move(notifier), main,
                                                options, std::move(hooks)));
  sync->applied_seq_ = start;
  if (sync->notifier_ != nullptr) sync->follower_ = std::thread([s = sync.get()] { s->Follow(); });
  return sync;
}

StoreSync::StoreSync(std::unique_ptr<store::Store> feed,
                     std::unique_ptr<store::ChangeNotifier> notifier, store::Store* main,
                     StoreSyncOptions options, StoreSyncHooks hooks)
    : feed_(std::move(feed)),
      notifier_(std::move(notifier)),
      main_(main),
      options_(options),
      hooks_(std::move(hooks)) {}

StoreSync::~StoreSync() {
  stop_ = true;
  if (notifier_ != nullptr) notifier_->Wake();
  if (follower_.joinable()) follower_.join();
}

template <typename F>
auto StoreSync::Timed(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  auto result = f();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard lock(latency_mu_);
  ++store_calls_;
  store_seconds_ += seconds;
  store_max_seconds_ = std::max(store_max_seconds_, seconds);
  return result;
}

void StoreSync::Follow() {
  int64_t next_prune_ms = NowMs() + options_.prune_interval_ms;
  bool failing = false;
  while (!stop_) {
    notifier_->Wait(options_.poll_ms);
    if (stop_) break;
    std::lock_guard lock(apply_mu_);
    const Status s = CatchUpLocked(0);
    if (!s.ok()) {
      ++errors_;
      // Said once per outage, not at every poll.
      if (!failing) std::fprintf(stderr, "candor: store sync: %s\n", s.ToString().c_str());
    }
    failing = !s.ok();
    if (NowMs() >= next_prune_ms) {
      next_prune_ms = NowMs() + options_.prune_interval_ms;
      (void)Timed([&] { return feed_->PruneChanges(NowMs() - options_.change_log_retention_ms); });
    }
  }
}

Status StoreSync::SyncForRead() {
  CANDOR_ASSIGN_OR_RETURN(const int64_t latest, Timed([&] { return main_->LatestChangeSeq(); }));
  if (applied_seq_.load() >= latest) return Status::Ok();
  std::lock_guard lock(apply_mu_);
  return CatchUpLocked(latest);
}

Status StoreSync::ApplyOwn(int64_t seq, const std::function<Status()>& apply) {
  std::lock_guard lock(apply_mu_);
  if (applied_seq_.load() >= seq) return Status::Ok();
  // Every row before `seq` is committed or rolled back (change_feed.h).
  if (seq > 1) {
    if (Status s = CatchUpLocked(seq - 1); !s.ok()) {
      ++errors_;
      return Status::Ok();
    }
  }
  CANDOR_RETURN_IF_ERROR(apply());
  applied_seq_ = seq;
  ++changes_applied_;
  return Status::Ok();
}

Status StoreSync::Publish(const std::string& collection_id, int64_t loaded_after,
                          const std::function<void()>& publish) {
  std::lock_guard lock(apply_mu_);
  publish();
  const int64_t through = applied_seq_.load();
  int64_t after = loaded_after;
  while (after < through) {
    auto batch =
        Timed([&] { return feed_->ReadChanges(after, through, collection_id, options_.batch); });
    Status s = batch.status();
    if (s.ok() && batch->pruned_through > after) {
      s = Status::Throttling("the change log was pruned while collection " + collection_id +
                             " loaded; retry");
    }
    int64_t applied = after;
    if (s.ok()) s = ApplyLocked(batch->changes, &applied);
    if (!s.ok()) {
      // Not left half replayed: the next call loads it again.
      hooks_.drop_collection(collection_id);
      return s;
    }
    if (static_cast<int>(batch->changes.size()) < options_.batch) break;
    after = applied;
  }
  return Status::Ok();
}

Status StoreSync::CatchUpLocked(int64_t through) {
  for (;;) {
    const int64_t after = applied_seq_.load();
    if (through > 0 && after >= through) return Status::Ok();
    CANDOR_ASSIGN_OR_RETURN(store::ChangeBatch batch, Timed([&] {
                              return feed_->ReadChanges(after, through, "", options_.batch);
                            }));
    if (batch.pruned_through > after) {
      // Rows this node never applied are gone: start again from the tables.
      CANDOR_ASSIGN_OR_RETURN(const int64_t latest,
                              Timed([&] { return feed_->LatestChangeSeq(); }));
      std::fprintf(stderr,
                   "candor: store sync: the change log was pruned through %lld, past this "
                   "node's %lld; reloading every collection from the store\n",
                   static_cast<long long>(batch.pruned_through), static_cast<long long>(after));
      hooks_.drop_all();
      applied_seq_ = latest;
      ++full_rebuilds_;
      continue;
    }
    int64_t applied = after;
    const Status s = ApplyLocked(batch.changes, &applied);
    applied_seq_ = applied;
    CANDOR_RETURN_IF_ERROR(s);
    if (static_cast<int>(batch.changes.size()) < options_.batch) {
      // Every committed row up to `through` has been read (the rest are gaps).
      if (through > 0) applied_seq_ = std::max(applied_seq_.load(), through);
      return Status::Ok();
    }
  }
}

Status StoreSync::ApplyLocked(const std::vector<store::ChangeRecord>& changes, int64_t* applied) {
  size_t i = 0;
  while (i < changes.size()) {
    const store::ChangeRecord& c = changes[i];
    size_t end = i + 1;
    if (IsFaceChange(c.kind)) {
      // The faces of a run of face changes of one collection, refreshed at
      // once (they read the current rows anyway).
      std::set<std::string> seen;
      std::vector<std::string> face_ids;
      for (end = i; end < changes.size() && IsFaceChange(changes[end].kind) &&
                    changes[end].collection_id == c.collection_id;
           ++end) {
        for (const std::string& f : changes[end].face_ids) {
          if (seen.insert(f).second) face_ids.push_back(f);
        }
      }
      if (!face_ids.empty()) {
        CANDOR_RETURN_IF_ERROR(
            Timed([&] { return hooks_.refresh_faces(c.collection_id, face_ids, *feed_); }));
      }
    } else if (c.kind == store::ChangeKind::kCollectionDeleted) {
      hooks_.drop_collection(c.collection_id);
    }
    changes_applied_ += static_cast<int64_t>(end - i);
    *applied = changes[end - 1].seq;
    i = end;
  }
  return Status::Ok();
}

StoreSyncStatus StoreSync::GetStatus() {
  StoreSyncStatus status;
  status.enabled = true;
  auto latest = Timed([&] { return main_->LatestChangeSeq(); });
  status.applied_seq = applied_seq_.load();
  status.latest_seq = latest.ok() ? *latest : -1;
  status.lag_changes = latest.ok() ? std::max<int64_t>(0, *latest - status.applied_seq) : 0;
  status.changes_applied = changes_applied_.load();
  status.reconnects = notifier_ != nullptr ? notifier_->reconnects() : 0;
  status.full_rebuilds = full_rebuilds_.load();
  status.errors = errors_.load();
  std::lock_guard lock(latency_mu_);
  status.store_calls = store_calls_;
  status.store_seconds = store_seconds_;
  status.store_max_seconds = store_max_seconds_;
  return status;
}

}  // namespace candor
