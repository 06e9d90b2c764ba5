// The PostgreSQL store's change log (store/change_feed.h): one row per write
// transaction that changes what nodes hold in memory, written as the
// transaction's last statement, and a notification on channel
// candor_changes delivered when it commits.
//
// Why a lock: a bigserial number is taken when the row is inserted, not when
// it commits, so two writers could commit 11 before 10, and a reader that saw
// 11 and recorded it would never read 10. Each writer therefore takes a
// transaction-scoped advisory lock before it takes its number; PostgreSQL
// releases the lock only after the commit is visible, so numbers become
// visible in order. This serialises the writers of the whole cluster from
// the change row to the commit (the lock is taken last, so nothing else is
// done under it); a transaction that NOTIFYs serialises its commit with the
// others' anyway (PostgreSQL's notification queue lock).
#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "store/change_feed.h"
#include "store/pg_store_impl.h"

namespace candor::store {
namespace {

thread_local int64_t last_committed_change_seq = 0;

constexpr std::pair<ChangeKind, std::string_view> kKindNames[] = {
    {ChangeKind::kFacesAdded, "faces_added"},
    {ChangeKind::kFacesDeleted, "faces_deleted"},
    {ChangeKind::kUsersChanged, "users_changed"},
    {ChangeKind::kCollectionCreated, "collection_created"},
    {ChangeKind::kCollectionDeleted, "collection_deleted"},
    {ChangeKind::kPolicyChanged, "policy_changed"},
};

}  // namespace

int64_t LastCommittedChangeSeq() { return last_committed_change_seq; }
void SetLastCommittedChangeSeq(int64_t seq) { last_committed_change_seq = seq; }

std::string_view ChangeKindName(ChangeKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

bool ParseChangeKind(std::string_view name, ChangeKind* kind) {
  for (const auto& [k, n] : kKindNames) {
    if (n == name) {
      *kind = k;
      return true;
    }
  }
  return false;
}

namespace pg {
namespace {

// Any 64-bit key that no other user of the database takes ("candor-c").
constexpr int64_t kChangeLogLockKey = 0x63616e646f722d63;

// One round trip: the lock, then the row (its number is taken after the lock:
// the INSERT's row comes from the lock's), then the notification, which
// PostgreSQL delivers at the commit.
constexpr char kWriteChange[] =
    "WITH locked AS (SELECT pg_advisory_xact_lock($1)),"
    " inserted AS (INSERT INTO change_log (collection_id, kind, face_ids, created_ms)"
    " SELECT $2, $3, $4, $5 FROM locked RETURNING seq)"
    " SELECT seq, pg_notify('candor_changes', seq::text) FROM inserted";
#define CANDOR_PG_CHANGE_COLUMNS "seq, collection_id, kind, face_ids, created_ms"
constexpr char kReadChanges[] = "SELECT " CANDOR_PG_CHANGE_COLUMNS
                                " FROM change_log WHERE seq > $1 AND seq <= $2"
                                " ORDER BY seq LIMIT $3";
constexpr char kReadChangesOfCollection[] =
    "SELECT " CANDOR_PG_CHANGE_COLUMNS
    " FROM change_log WHERE collection_id = $4 AND seq > $1 AND seq <= $2"
    " ORDER BY seq LIMIT $3";
#undef CANDOR_PG_CHANGE_COLUMNS
constexpr char kPrunedThrough[] = "SELECT through_seq FROM change_log_pruned";
constexpr char kLatestChange[] =
    "SELECT greatest(coalesce((SELECT max(seq) FROM change_log), 0),"
    " (SELECT through_seq FROM change_log_pruned))";
// A prefix of the log: every row up to the last one written before $1.
constexpr char kPruneChanges[] =
    "WITH gone AS (DELETE FROM change_log WHERE seq <= (SELECT max(seq) FROM change_log"
    " WHERE created_ms < $1) RETURNING seq),"
    " marked AS (UPDATE change_log_pruned SET through_seq ="
    " greatest(through_seq, (SELECT coalesce(max(seq), 0) FROM gone)) RETURNING 1)"
    " SELECT count(*) FROM gone, marked";

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string joined;
  for (const std::string& id : ids) {
    if (!joined.empty()) joined += '\n';
    joined += id;
  }
  return joined;
}

std::vector<std::string> SplitIds(const std::string& joined) {
  std::vector<std::string> ids;
  size_t start = 0;
  while (start < joined.size()) {
    size_t end = joined.find('\n', start);
    if (end == std::string::npos) end = joined.size();
    ids.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return ids;
}

}  // namespace

void PostgresStore::LogChange(ChangeKind kind, const std::string& collection_id,
                              std::vector<std::string> face_ids) {
  ChangeRecord& change = pending_change_.emplace();
  change.kind = kind;
  change.collection_id = collection_id;
  change.face_ids = std::move(face_ids);
}

Status PostgresStore::WriteChange(int64_t* seq) {
  *seq = 0;
  if (!pending_change_) return Status::Ok();
  const ChangeRecord& c = *pending_change_;
  CANDOR_ASSIGN_OR_RETURN(
      Result r, Exec(kWriteChange,
                     {Param::Int(kChangeLogLockKey), Param::Text(c.collection_id),
                      Param::Text(ChangeKindName(c.kind)), Param::Text(JoinIds(c.face_ids)),
                      Param::Int(NowMs())},
                     "write the change log"));
  if (r.rows() != 1) return Status::Internal("the change log gave no number for its row");
  *seq = r.Int(0, 0);
  return Status::Ok();
}

StatusOr<ChangeBatch> PostgresStore::ReadChanges(int64_t after_seq, int64_t through_seq,
                                                 const std::string& collection_id, int limit) {
  CANDOR_RETURN_IF_ERROR(ValidateLimit(limit));
  if (through_seq <= 0) through_seq = std::numeric_limits<int64_t>::max();
  std::lock_guard lock(mutex_);
  ChangeBatch batch;
  const std::string what = "read the change log";
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    batch = ChangeBatch();
    CANDOR_ASSIGN_OR_RETURN(Result pruned, Exec(kPrunedThrough, {}, what));
    if (pruned.rows() == 1) batch.pruned_through = pruned.Int(0, 0);
    std::vector<Param> params = {Param::Int(after_seq), Param::Int(through_seq),
                                 Param::Int(limit)};
    if (!collection_id.empty()) params.push_back(Param::Text(collection_id));
    CANDOR_ASSIGN_OR_RETURN(
        Result r, Exec(collection_id.empty() ? kReadChanges : kReadChangesOfCollection, params,
                       what));
    for (int i = 0; i < r.rows(); ++i) {
      ChangeRecord& c = batch.changes.emplace_back();
      c.seq = r.Int(i, 0);
      c.collection_id = r.Bytes(i, 1);
      if (!ParseChangeKind(r.Bytes(i, 2), &c.kind)) {
        return Status::Unsupported("change " + std::to_string(c.seq) + " in " + db_.Describe() +
                                   " is of kind " + Quoted(r.Bytes(i, 2)) +
                                   ", unknown to this build of Candor");
      }
      c.face_ids = SplitIds(r.Bytes(i, 3));
      c.created_ms = r.Int(i, 4);
    }
    return Status::Ok();
  }));
  return batch;
}

StatusOr<int64_t> PostgresStore::LatestChangeSeq() {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(Result r, Exec(kLatestChange, {}, "read the change log's last number"));
  return r.rows() == 1 && !r.IsNull(0, 0) ? r.Int(0, 0) : 0;
}

StatusOr<int64_t> PostgresStore::PruneChanges(int64_t before_ms) {
  std::lock_guard lock(mutex_);
  int64_t pruned = 0;
  CANDOR_RETURN_IF_ERROR(InTransaction(true, "prune the change log", [&]() -> Status {
    CANDOR_ASSIGN_OR_RETURN(Result r,
                            Exec(kPruneChanges, {Param::Int(before_ms)}, "prune the change log"));
    pruned = r.rows() == 1 ? r.Int(0, 0) : 0;
    return Status::Ok();
  }));
  return pruned;
}

}  // namespace pg
}  // namespace candor::store
