#include "store/inventory.h"

#include <filesystem>
#include <functional>

#include "store/sqlite_store.h"
#include "store/sqlite_util.h"

namespace candor::store {
namespace {

// Runs `sql` and calls `row` for each result row.
Status ForEachRow(sqlite3* db, const std::string& path, const char* sql,
                  const std::function<void(sqlite3_stmt*)>& row) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return StatusFromSqlite(rc, "read the store", sqlite3_errmsg(db), path,
                            ConstraintErrors::kInternal);
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) row(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) {
    return StatusFromSqlite(rc, "read the store", sqlite3_errmsg(db), path,
                            ConstraintErrors::kInternal);
  }
  return Status::Ok();
}

std::string Column(sqlite3_stmt* stmt, int i) {
  const unsigned char* text = sqlite3_column_text(stmt, i);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text),
                                       static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
}

}  // namespace

StatusOr<Inventory> ReadInventory(const std::string& data_dir) {
  const std::string path = SqliteDatabasePath(data_dir);
  if (!std::filesystem::exists(path)) return Status::NotFound("no store at " + path);
  CANDOR_ASSIGN_OR_RETURN(Connection db, OpenForInspection(path, /*read_only=*/true, 5000,
                                                           "read the store"));
  sqlite3* h = db.get();
  Inventory inv;
  int64_t version = 0;
  CANDOR_RETURN_IF_ERROR(ExecOn(h, "BEGIN", "read the store", path));
  Status read = [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(ForEachRow(h, path, "PRAGMA user_version",
                                      [&](sqlite3_stmt* s) { version = sqlite3_column_int64(s, 0); }));
    CANDOR_RETURN_IF_ERROR(ForEachRow(h, path, "SELECT collection_id FROM collections",
                                      [&](sqlite3_stmt* s) { inv.collections.push_back(Column(s, 0)); }));
    CANDOR_RETURN_IF_ERROR(ForEachRow(
        h, path, "SELECT collection_id, face_id, user_id FROM faces", [&](sqlite3_stmt* s) {
          inv.faces.push_back({Column(s, 0), Column(s, 1), Column(s, 2)});
        }));
    CANDOR_RETURN_IF_ERROR(ForEachRow(h, path, "SELECT collection_id, user_id FROM users",
                                      [&](sqlite3_stmt* s) {
                                        inv.users.push_back({Column(s, 0), Column(s, 1)});
                                      }));
    if (version >= 3) {
      CANDOR_RETURN_IF_ERROR(ForEachRow(h, path, "SELECT collection_id FROM collection_policies",
                                        [&](sqlite3_stmt* s) { inv.policies.push_back(Column(s, 0)); }));
    }
    if (version >= 5) {
      CANDOR_RETURN_IF_ERROR(ForEachRow(
          h, path, "SELECT id, request_id, entry FROM audit_journal ORDER BY id",
          [&](sqlite3_stmt* s) {
            JournalEntry e;
            e.id = sqlite3_column_int64(s, 0);
            e.request_id = Column(s, 1);
            e.entry = nlohmann::json::parse(Column(s, 2), nullptr, false);
            if (!e.entry.is_object()) e.entry = nlohmann::json::object();
            inv.journal.push_back(std::move(e));
          }));
    }
    return Status::Ok();
  }();
  (void)ExecOn(h, "COMMIT", "read the store", path);
  CANDOR_RETURN_IF_ERROR(read);
  return inv;
}

}  // namespace candor::store
