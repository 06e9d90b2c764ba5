// The SQLite store's collection tags: rows of collection_tags (schema
// version 4), removed with their collection.
#include <sqlite3.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite_store_impl.h"
#include "store/statements.h"

namespace candor::store {

StatusOr<std::map<std::string, std::string>> SqliteStore::GetTags(
    const std::string& collection_id) {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::string> tags;
  const std::string what = "read the tags of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    tags.clear();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kGetTags));
    stmt.Bind(1, collection_id);
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) tags[stmt.Text(0)] = stmt.Text(1);
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
  }));
  return tags;
}

Status SqliteStore::UpdateTags(const std::string& collection_id,
                               const std::map<std::string, std::string>& set,
                               const std::vector<std::string>& remove, size_t max_tags) {
  std::lock_guard lock(mutex_);
  const std::string what = "change the tags of collection " + Quoted(collection_id);
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    for (const std::string& key : remove) {
      CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kDeleteTag));
      stmt.Bind(1, collection_id);
      stmt.Bind(2, key);
      if (const int rc = stmt.Step(); rc != SQLITE_DONE) return Error(rc, what);
    }
    for (const auto& [key, value] : set) {
      CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kPutTag));
      stmt.Bind(1, collection_id);
      stmt.Bind(2, key);
      stmt.Bind(3, value);
      if (const int rc = stmt.Step(); rc != SQLITE_DONE) return Error(rc, what);
    }
    CANDOR_ASSIGN_OR_RETURN(Statement count, Prepare(kCountTags));
    count.Bind(1, collection_id);
    if (const int rc = count.Step(); rc != SQLITE_ROW) return Error(rc, what);
    if (static_cast<size_t>(count.Int(0)) > max_tags) {
      // Returning an error rolls the transaction back: nothing changed.
      return Status::ServiceQuotaExceeded("collection " + Quoted(collection_id) +
                                          " would hold more than " + std::to_string(max_tags) +
                                          " tags");
    }
    return Status::Ok();
  });
}

}  // namespace candor::store
