// Settings of every connection, and why (as the store's, see
// src/store/sqlite_store.cc):
//  - journal_mode=WAL: `candor audit verify` in another process reads while
//    the server appends, and a commit appends to one file.
//  - synchronous=FULL: the WAL is fsync'ed at every commit, so a record whose
//    Append returned survives power loss.
//  - busy_timeout: another process on the same file waits for the lock
//    instead of failing.
//  - STRICT tables: a value of the wrong type cannot be stored, not even by
//    hand with the sqlite3 shell, so Verify compares values only.
// No secure_delete: nothing is ever deleted from an audit log.
#include "audit/audit_db.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "store/data_dir.h"

namespace candor::audit {
namespace {

constexpr int kBusyTimeoutMs = 10000;
// Beyond this the WAL file is truncated back after a checkpoint resets it.
constexpr int64_t kJournalSizeLimitBytes = 64 << 20;

// Indexes serve Query's filters; each also orders its entries by seq (the
// rowid ends every index entry), so a filtered page in seq order is one
// range scan.
constexpr char kSchema[] = R"sql(
CREATE TABLE meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  public_key_pem TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  principal TEXT NOT NULL,
  operation TEXT NOT NULL,
  collection_id TEXT NOT NULL,
  event_json TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_time ON events (time_ms);
CREATE INDEX events_by_principal ON events (principal);
CREATE INDEX events_by_collection ON events (collection_id);
CREATE INDEX events_by_operation ON events (operation);
CREATE TABLE checkpoints (
  seq INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  signature TEXT NOT NULL
) STRICT;
)sql";

constexpr const char* kRequiredTables[] = {"checkpoints", "events", "meta"};

Status StatusFromSqlite(int rc, std::string_view what, std::string_view message,
                        const std::string& path) {
  const std::string detail = std::string(what) + ": " + std::string(message) + " (" + path + ")";
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Status::ResourceExhausted("disk full: " + detail);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(detail);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return Status::IOError(detail);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::ResourceExhausted("database busy: " + detail);
    case SQLITE_NOMEM:
      return Status::ResourceExhausted("out of memory: " + detail);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::PermissionDenied(detail);
    default:
      return Status::Internal(detail);
  }
}

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

// The first column of every row of `sql`, as text; uncached (open time only).
StatusOr<std::vector<std::string>> QueryColumn(sqlite3* db, const std::string& sql,
                                               const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  if (rc != SQLITE_OK) return StatusFromSqlite(rc, sql, sqlite3_errmsg(db), path);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  std::vector<std::string> values;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    values.emplace_back(text == nullptr ? "" : text);
  }
  if (rc != SQLITE_DONE) return StatusFromSqlite(rc, sql, sqlite3_errmsg(db), path);
  return values;
}

StatusOr<int64_t> QueryInt(sqlite3* db, const std::string& sql, const std::string& path) {
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> values, QueryColumn(db, sql, path));
  if (values.size() != 1) return Status::Internal(sql + ": no value (" + path + ")");
  return std::stoll(values[0]);
}

Status ExecOn(sqlite3* db, const std::string& sql, std::string_view what, const std::string& path) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : StatusFromSqlite(rc, what, sqlite3_errmsg(db), path);
}

// Checks, reading only, that the file is empty or an audit log this build
// reads. Sets `*empty` when it has no audit schema yet.
Status InspectDatabase(sqlite3* db, const std::string& path, bool* empty) {
  const std::string unchanged = "; it was left unchanged";
  CANDOR_ASSIGN_OR_RETURN(const int64_t application_id,
                          QueryInt(db, "PRAGMA application_id", path));
  CANDOR_ASSIGN_OR_RETURN(const int64_t version, QueryInt(db, "PRAGMA user_version", path));
  CANDOR_ASSIGN_OR_RETURN(const std::vector<std::string> tables,
                          QueryColumn(db,
                                      "SELECT name FROM sqlite_schema WHERE type = 'table'"
                                      " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                                      path));
  *empty = false;
  if (application_id != kAuditApplicationId) {
    if (application_id == 0 && version == 0 && tables.empty()) {
      *empty = true;  // a new file, or SQLite's empty database
      return Status::Ok();
    }
    return Status::Corruption(path + " is not a Candor audit log (application_id " +
                              std::to_string(application_id) + ", " +
                              std::to_string(tables.size()) + " tables)" + unchanged);
  }
  if (version > kAuditSchemaVersion) {
    return Status::Unsupported(path + " is an audit log of format version " +
                               std::to_string(version) + ", newer than version " +
                               std::to_string(kAuditSchemaVersion) +
                               " that this build of Candor reads" + unchanged);
  }
  if (version < 1) {
    return Status::Corruption(path + " is marked as an audit log but has format version " +
                              std::to_string(version) + unchanged);
  }
  for (const char* table : kRequiredTables) {
    if (std::find(tables.begin(), tables.end(), table) == tables.end()) {
      return Status::Corruption(path + " is an audit log without its table " + table);
    }
  }
  return Status::Ok();
}

Status ConfigureWriter(sqlite3* db, const std::string& path) {
  CANDOR_ASSIGN_OR_RETURN(const std::vector<std::string> mode,
                          QueryColumn(db, "PRAGMA journal_mode = WAL", path));
  if (mode.size() != 1 || mode[0] != "wal") {
    return Status::Unsupported(path +
                               ": SQLite cannot use WAL mode here; the audit log must be"
                               " on a local file system");
  }
  CANDOR_RETURN_IF_ERROR(ExecOn(db,
                                "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = " +
                                    std::to_string(kJournalSizeLimitBytes),
                                "configure the connection", path));
  // A pragma that a build of SQLite does not know is silently ignored.
  CANDOR_ASSIGN_OR_RETURN(const int64_t synchronous, QueryInt(db, "PRAGMA synchronous", path));
  if (synchronous != 2) {
    return Status::Unsupported("PRAGMA synchronous = FULL does not take with this SQLite (" + path +
                               ")");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<AuditDb>> AuditDb::Open(const std::string& path, bool read_only,
                                                 bool* empty) {
  if (path.empty()) return Status::InvalidArgument("the audit log's path is empty");
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (!read_only && !dir.empty()) CANDOR_RETURN_IF_ERROR(store::EnsureDataDirectory(dir));
  bool is_new = false;
  CANDOR_RETURN_IF_ERROR(store::CheckDatabaseFileHeader(path, &is_new));
  if (read_only && is_new) return Status::NotFound("no audit log at " + path);

  sqlite3* raw = nullptr;
  // NOMUTEX: the owner of an AuditDb serialises every use of the connection.
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) {
    return StatusFromSqlite(rc, "open the audit log",
                            raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc), path);
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

  // Nothing is written before the file is known to be ours (query_only), and
  // a WAL left by a crash is not checkpointed into a file that is refused.
  const bool had_wal = std::filesystem::exists(path + "-wal");
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, had_wal ? 1 : 0, nullptr);
  CANDOR_RETURN_IF_ERROR(ExecOn(db.get(), "PRAGMA query_only = ON", "inspect", path));
  CANDOR_RETURN_IF_ERROR(InspectDatabase(db.get(), path, empty));
  if (read_only) {
    if (*empty) return Status::NotFound(path + " is an empty file, not an audit log");
  } else {
    CANDOR_RETURN_IF_ERROR(ExecOn(db.get(), "PRAGMA query_only = OFF", "inspect", path));
    sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
    CANDOR_RETURN_IF_ERROR(ConfigureWriter(db.get(), path));
    if (is_new && !dir.empty()) CANDOR_RETURN_IF_ERROR(store::FsyncDirectory(dir));
  }
  return std::unique_ptr<AuditDb>(new AuditDb(db.release(), path));
}

AuditDb::~AuditDb() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status AuditDb::CreateSchema(const std::string& public_key_pem, int64_t created_ms) {
  return InTransaction(true, "create the audit log", [&]() -> Status {
    // Under the write lock: another process may have created it meanwhile.
    CANDOR_ASSIGN_OR_RETURN(const int64_t version, QueryInt(db_, "PRAGMA user_version", path_));
    if (version != 0) return Status::Ok();
    CANDOR_RETURN_IF_ERROR(Exec(kSchema, "create the audit log's tables"));
    CANDOR_ASSIGN_OR_RETURN(Statement meta,
                            Prepare("INSERT INTO meta (id, public_key_pem, created_ms)"
                                    " VALUES (1, ?1, ?2)"));
    meta.Bind(1, public_key_pem);
    meta.Bind(2, created_ms);
    const int rc = meta.Step();
    if (rc != SQLITE_DONE) return Error(rc, "record the audit log's public key");
    return Exec("PRAGMA application_id = " + std::to_string(kAuditApplicationId) +
                    "; PRAGMA user_version = " + std::to_string(kAuditSchemaVersion),
                "mark the audit log");
  });
}

StatusOr<Statement> AuditDb::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, "prepare statement");
    it = statements_.emplace(std::string(sql), stmt).first;
  }
  return Statement(it->second);
}

Status AuditDb::Exec(const std::string& sql, std::string_view what) {
  return ExecOn(db_, sql, what, path_);
}

Status AuditDb::Error(int rc, std::string_view what) const {
  return StatusFromSqlite(rc, what, sqlite3_errmsg(db_), path_);
}

Status AuditDb::InTransaction(bool write, std::string_view what,
                              const std::function<Status()>& body) {
  CANDOR_RETURN_IF_ERROR(Exec(write ? "BEGIN IMMEDIATE" : "BEGIN", what));
  // SQLite may already have rolled back by itself (after SQLITE_FULL or an
  // I/O error): autocommit tells.
  struct RollbackUnlessCommitted {
    sqlite3* db;
    ~RollbackUnlessCommitted() {
      if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  } rollback{db_};
  CANDOR_RETURN_IF_ERROR(body());
  return Exec("COMMIT", what);
}

}  // namespace candor::audit
