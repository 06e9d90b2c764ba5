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

// Checks, reading only, that the file is empty or an audit log this build
// reads. Sets `*empty` when it has no audit schema yet.
Status InspectDatabase(sqlite3* db, const std::string& path, bool* empty) {
  const std::string unchanged = "; it was left unchanged";
  CANDOR_ASSIGN_OR_RETURN(
      const int64_t application_id,
      store::QueryInt(db, "PRAGMA application_id", "read the audit log's header", path));
  CANDOR_ASSIGN_OR_RETURN(
      const int64_t version,
      store::QueryInt(db, "PRAGMA user_version", "read the audit log's format version", path));
  CANDOR_ASSIGN_OR_RETURN(
      const std::vector<std::string> tables,
      store::QueryColumn(db,
                         "SELECT name FROM sqlite_schema WHERE type = 'table'"
                         " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                         "read the audit log's schema", path));
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
  CANDOR_ASSIGN_OR_RETURN(
      const std::vector<std::string> mode,
      store::QueryColumn(db, "PRAGMA journal_mode = WAL", "enable WAL mode", path));
  if (mode.size() != 1 || mode[0] != "wal") {
    return Status::Unsupported(path +
                               ": SQLite cannot use WAL mode here; the audit log must be"
                               " on a local file system");
  }
  CANDOR_RETURN_IF_ERROR(store::ExecOn(db,
                                       "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = " +
                                           std::to_string(kJournalSizeLimitBytes),
                                       "configure the connection", path));
  // A pragma that a build of SQLite does not know is silently ignored.
  CANDOR_ASSIGN_OR_RETURN(const int64_t synchronous,
                          store::QueryInt(db, "PRAGMA synchronous", "PRAGMA synchronous", path));
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

  // Nothing is written before the file is known to be ours (see
  // store::OpenForInspection).
  CANDOR_ASSIGN_OR_RETURN(
      store::Connection db,
      store::OpenForInspection(path, read_only, kBusyTimeoutMs, "open the audit log"));
  CANDOR_RETURN_IF_ERROR(InspectDatabase(db.get(), path, empty));
  if (read_only) {
    if (*empty) return Status::NotFound(path + " is an empty file, not an audit log");
  } else {
    CANDOR_RETURN_IF_ERROR(store::AllowWrites(db.get(), path));
    CANDOR_RETURN_IF_ERROR(ConfigureWriter(db.get(), path));
    if (is_new && !dir.empty()) CANDOR_RETURN_IF_ERROR(store::FsyncDirectory(dir));
  }
  return std::unique_ptr<AuditDb>(new AuditDb(std::move(db), path));
}

Status AuditDb::CreateSchema(const std::string& public_key_pem, int64_t created_ms) {
  return InTransaction(true, "create the audit log", [&]() -> Status {
    // Under the write lock: another process may have created it meanwhile.
    CANDOR_ASSIGN_OR_RETURN(const int64_t version,
                            store::QueryInt(db_.handle(), "PRAGMA user_version",
                                            "read the audit log's format version", db_.path()));
    if (version != 0) return Status::Ok();
    CANDOR_RETURN_IF_ERROR(Exec(kSchema, "create the audit log's tables"));
    CANDOR_ASSIGN_OR_RETURN(store::Statement meta,
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

}  // namespace candor::audit
