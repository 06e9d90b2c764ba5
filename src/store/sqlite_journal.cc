// The audit journal of the SQLite store (store/write_journal.h).
#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite_store_impl.h"

namespace candor::store {

Status SqliteStore::WriteJournal(std::string_view what, const nlohmann::json& changes,
                                 std::vector<std::string>* deleted) {
  {
    std::lock_guard lock(resolved_mu_);
    *deleted = resolved_;
  }
  for (const std::string& id : *deleted) {
    CANDOR_ASSIGN_OR_RETURN(Statement stmt,
                            Prepare("DELETE FROM audit_journal WHERE request_id = ?1"));
    stmt.Bind(1, id);
    const int rc = stmt.Step();
    if (rc != SQLITE_DONE) return Error(rc, "delete resolved audit journal rows");
  }
  const WriteOrigin* origin = CurrentWriteOrigin();
  if (origin == nullptr) return Status::Ok();
  const std::string entry = JournalJson(*origin, std::string(what), changes)
                                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  CANDOR_ASSIGN_OR_RETURN(Statement stmt,
                          Prepare("INSERT INTO audit_journal (request_id, entry) VALUES (?1, ?2)"));
  stmt.Bind(1, origin->request_id);
  stmt.Bind(2, entry);
  const int rc = stmt.Step();
  if (rc != SQLITE_DONE) return Error(rc, "write the audit journal");
  // Counted before the commit: a rollback leaves a row resolved that does
  // not exist, which costs nothing.
  ++origin->rows_written;
  return Status::Ok();
}

StatusOr<std::vector<JournalEntry>> SqliteStore::ListJournal() {
  std::vector<std::string> resolved;
  {
    std::lock_guard lock(resolved_mu_);
    resolved = resolved_;
  }
  std::lock_guard lock(mutex_);
  std::vector<JournalEntry> out;
  CANDOR_RETURN_IF_ERROR(InTransaction(false, "read the audit journal", [&]() -> Status {
    CANDOR_ASSIGN_OR_RETURN(Statement stmt,
                            Prepare("SELECT id, request_id, entry FROM audit_journal ORDER BY id"));
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      JournalEntry e;
      e.id = stmt.Int(0);
      e.request_id = stmt.Text(1);
      if (std::find(resolved.begin(), resolved.end(), e.request_id) != resolved.end()) continue;
      e.entry = nlohmann::json::parse(stmt.Text(2), nullptr, false);
      if (!e.entry.is_object()) {
        return Status::Corruption(db_.path() + ": audit journal row " + std::to_string(e.id) +
                                  " is not a JSON object");
      }
      out.push_back(std::move(e));
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc, "read the audit journal");
  }));
  return out;
}

void SqliteStore::ResolveJournal(const std::string& request_id) {
  std::lock_guard lock(resolved_mu_);
  resolved_.push_back(request_id);
}

Status SqliteStore::FlushJournal() {
  {
    std::lock_guard lock(resolved_mu_);
    if (resolved_.empty()) return Status::Ok();
  }
  std::lock_guard lock(mutex_);
  return InTransaction(true, "delete resolved audit journal rows", [] { return Status::Ok(); });
}

}  // namespace candor::store
