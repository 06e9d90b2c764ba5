// The SQLite store's collection policies: one row of collection_policies per
// collection that has had a policy put (schema version 3). A collection
// without a row has the defaults, which the caller owns
// (candor::CollectionPolicy), so GetPolicy says "none" rather than invent
// them here.
#include <sqlite3.h>

#include <cmath>
#include <mutex>
#include <optional>
#include <string>

#include "store/sqlite_store_impl.h"
#include "store/statements.h"

namespace candor::store {

StatusOr<std::optional<PolicyRecord>> SqliteStore::GetPolicy(const std::string& collection_id) {
  std::lock_guard lock(mutex_);
  std::optional<PolicyRecord> policy;
  const std::string what = "read the policy of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    policy.reset();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kGetPolicy));
    stmt.Bind(1, collection_id);
    const int rc = stmt.Step();
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc != SQLITE_ROW) return Error(rc, what);
    PolicyRecord& p = policy.emplace();
    p.purpose = stmt.Text(0);
    p.threshold_floor = static_cast<float>(stmt.Double(1));
    p.refuse_below_floor = stmt.Int(2) != 0;
    p.max_faces = stmt.Int(3);
    p.reason_required = stmt.Int(4) != 0;
    p.retention_days = stmt.Int(5);
    p.updated_ms = stmt.Int(6);
    return Status::Ok();
  }));
  return policy;
}

Status SqliteStore::PutPolicy(const std::string& collection_id, const PolicyRecord& policy) {
  // SQLite stores a NaN as NULL (refused by NOT NULL with a less clear
  // message) and an infinity as is; neither is a floor.
  if (!std::isfinite(policy.threshold_floor)) {
    return Status::InvalidArgument("the threshold floor of collection " + Quoted(collection_id) +
                                   " is not finite");
  }
  std::lock_guard lock(mutex_);
  const std::string what = "store the policy of collection " + Quoted(collection_id);
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kPutPolicy));
    stmt.Bind(1, collection_id);
    stmt.Bind(2, policy.purpose);
    // float -> double -> float is exact, so the floor reads back bit for bit.
    stmt.Bind(3, static_cast<double>(policy.threshold_floor));
    stmt.Bind(4, int64_t{policy.refuse_below_floor ? 1 : 0});
    stmt.Bind(5, policy.max_faces);
    stmt.Bind(6, int64_t{policy.reason_required ? 1 : 0});
    stmt.Bind(7, policy.retention_days);
    stmt.Bind(8, NowMs());
    const int rc = stmt.Step();
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
  });
}

}  // namespace candor::store
