#include "store/sqlite_util.h"

#include <filesystem>

#include "store/data_dir.h"

namespace candor::store {

Status StatusFromSqlite(int rc, std::string_view what, std::string_view message,
                        const std::string& path, ConstraintErrors constraints) {
  const std::string detail = std::string(what) + ": " + std::string(message) + " (" + path + ")";
  const bool caller_input = constraints == ConstraintErrors::kCallerInput;
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Status::ResourceExhausted("disk full: " + detail);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(detail);
    case SQLITE_IOERR:
      if (rc == SQLITE_IOERR_NOMEM) return Status::ResourceExhausted("out of memory: " + detail);
      return Status::IOError(detail);
    case SQLITE_CANTOPEN:
      return Status::IOError(detail);
    case SQLITE_CONSTRAINT:
      if (!caller_input) return Status::Internal(detail);
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status::AlreadyExists(detail);
      }
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return Status::NotFound(detail);
      return Status::InvalidArgument(detail);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Throttling("database busy: " + detail);  // transient: retry
    case SQLITE_NOMEM:
      return Status::ResourceExhausted("out of memory: " + detail);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::PermissionDenied(detail);
    case SQLITE_TOOBIG:
      return caller_input ? Status::InvalidArgument(detail) : Status::Internal(detail);
    default:
      return Status::Internal(detail);
  }
}

StatusOr<Connection> OpenForInspection(const std::string& path, bool read_only, int busy_timeout_ms,
                                       std::string_view what) {
  // Created 0600 by us, not 0644 by SQLite (its -wal and -shm files take the
  // database file's mode).
  if (!read_only) CANDOR_RETURN_IF_ERROR(CreatePrivateFile(path));
  sqlite3* raw = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) {
    return StatusFromSqlite(rc, what, raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc),
                            path, ConstraintErrors::kInternal);
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  const bool had_wal = std::filesystem::exists(path + "-wal");
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, had_wal ? 1 : 0, nullptr);
  CANDOR_RETURN_IF_ERROR(ExecOn(db.get(), "PRAGMA query_only = ON", "inspect", path));
  return db;
}

Status AllowWrites(sqlite3* db, const std::string& path) {
  CANDOR_RETURN_IF_ERROR(ExecOn(db, "PRAGMA query_only = OFF", "inspect", path));
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  return Status::Ok();
}

Status InspectOwnedFile(sqlite3* db, const std::string& path, int64_t application_id,
                        int64_t schema_version, const std::string& table,
                        const std::string& kind, bool* empty) {
  const std::string unchanged = "; it was left unchanged";
  CANDOR_ASSIGN_OR_RETURN(
      const int64_t found_id,
      QueryInt(db, "PRAGMA application_id", "read the " + kind + " file's header", path));
  CANDOR_ASSIGN_OR_RETURN(
      const int64_t version,
      QueryInt(db, "PRAGMA user_version", "read the " + kind + " file's version", path));
  CANDOR_ASSIGN_OR_RETURN(
      const std::vector<std::string> tables,
      QueryColumn(db,
                  "SELECT name FROM sqlite_schema WHERE type = 'table'"
                  " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                  "read the " + kind + " file's schema", path));
  *empty = false;
  if (found_id != application_id) {
    if (found_id == 0 && version == 0 && tables.empty()) {
      *empty = true;
      return Status::Ok();
    }
    return Status::Corruption(path + " is not a Candor " + kind + " file (application_id " +
                              std::to_string(found_id) + ")" + unchanged);
  }
  if (version > schema_version) {
    return Status::Unsupported(path + " has format version " + std::to_string(version) +
                               ", newer than this build reads (" + std::to_string(schema_version) +
                               ")" + unchanged);
  }
  if (version < 1 || tables != std::vector<std::string>{table}) {
    return Status::Corruption(path + " is marked as a " + kind +
                              " file but its schema is not one" + unchanged);
  }
  return Status::Ok();
}

StatusOr<std::vector<std::string>> QueryColumn(sqlite3* db, const std::string& sql,
                                               std::string_view what, const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  if (rc != SQLITE_OK) {
    return StatusFromSqlite(rc, what, sqlite3_errmsg(db), path, ConstraintErrors::kInternal);
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  std::vector<std::string> values;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    values.emplace_back(text == nullptr ? "" : text);
  }
  if (rc != SQLITE_DONE) {
    return StatusFromSqlite(rc, what, sqlite3_errmsg(db), path, ConstraintErrors::kInternal);
  }
  return values;
}

StatusOr<int64_t> QueryInt(sqlite3* db, const std::string& sql, std::string_view what,
                           const std::string& path) {
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> values, QueryColumn(db, sql, what, path));
  if (values.size() != 1) return Status::Internal(std::string(what) + ": no value (" + path + ")");
  return std::stoll(values[0]);
}

Status ExecOn(sqlite3* db, const std::string& sql, std::string_view what, const std::string& path) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return Status::Ok();
  return StatusFromSqlite(rc, what, sqlite3_errmsg(db), path, ConstraintErrors::kInternal);
}

SqliteDb::~SqliteDb() {
  // Before db_ closes the connection.
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
}

StatusOr<Statement> SqliteDb::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, "prepare statement");
    it = statements_.emplace(std::string(sql), stmt).first;
  }
  return Statement(it->second);
}

Status SqliteDb::Exec(const std::string& sql, std::string_view what) {
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : Error(rc, what);
}

Status SqliteDb::Error(int rc, std::string_view what) const {
  return StatusFromSqlite(rc, what, sqlite3_errmsg(db_.get()), path_, constraints_);
}

Status SqliteDb::InTransaction(bool write, std::string_view what,
                               const std::function<Status()>& body) {
  CANDOR_RETURN_IF_ERROR(Exec(write ? "BEGIN IMMEDIATE" : "BEGIN", what));
  // Rolls back on every exit that did not commit, exceptions from `body`
  // included. Runs after a returned Status was built, so its message is the
  // failed statement's, not the rollback's. SQLite may already have rolled
  // back by itself (after SQLITE_FULL or an I/O error): autocommit tells.
  struct RollbackUnlessCommitted {
    sqlite3* db;
    ~RollbackUnlessCommitted() {
      if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  } rollback{db_.get()};
  CANDOR_RETURN_IF_ERROR(body());
  return Exec("COMMIT", what);
}

}  // namespace candor::store
