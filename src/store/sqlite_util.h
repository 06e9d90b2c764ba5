// The shared adapter around SQLite's C API: the one place that opens SQLite
// connections, wraps sqlite3 statements and turns SQLite result codes into a
// Status, for both users of SQLite in Candor, the store (sqlite_store.cc,
// sqlite_users.cc, sqlite_policies.cc) and the audit log
// (src/audit/audit_db.cc, which DESIGN.md's dependencies allow: audit builds
// on store). DESIGN.md has each third-party library used from one adapter;
// for SQLite it is this file pair, together with the files just named, which
// hold each user's schema and SQL. No other file calls SQLite (audit_log.cc
// and audit_verify.cc step statements that AuditDb lends them), and no SQLite
// type reaches a public header.
#ifndef CANDOR_STORE_SQLITE_UTIL_H_
#define CANDOR_STORE_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "candor/status.h"

namespace candor::store {

// What a failed constraint (SQLITE_CONSTRAINT_*) or an over-long value
// (SQLITE_TOOBIG) means to the user of a connection.
enum class ConstraintErrors {
  // The values are the caller's input, as in the store: a UNIQUE or PRIMARY
  // KEY conflict is AlreadyExists (an id taken), a FOREIGN KEY one NotFound
  // (the parent row, e.g. the collection, is missing), any other constraint
  // and SQLITE_TOOBIG InvalidArgument.
  kCallerInput,
  // The values are the program's own, as in the audit log (sequence numbers,
  // hashes and JSON it computed): a violated constraint is a bug, Internal.
  kInternal,
};

// Maps an SQLite result code (extended codes on) to a Status. `message` is
// sqlite3_errmsg at the time of the error; `what` says what was being done,
// `path` which file.
Status StatusFromSqlite(int rc, std::string_view what, std::string_view message,
                        const std::string& path, ConstraintErrors constraints);

// A cached prepared statement lent out for one use: bind, step, and on
// destruction reset with bindings cleared, ready for the next use. Values are
// bound with SQLITE_TRANSIENT (copied), so temporaries are safe to bind.
// Does not own the statement (SqliteDb's cache does); must not outlive it.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)), bind_rc_(other.bind_rc_) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  void Bind(int index, std::string_view text) {
    Check(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void BindBlob(int index, std::string_view bytes) {
    Check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  }
  void Bind(int index, int64_t value) { Check(sqlite3_bind_int64(stmt_, index, value)); }
  void Bind(int index, double value) { Check(sqlite3_bind_double(stmt_, index, value)); }

  // SQLITE_ROW, SQLITE_DONE or an error code (the first failed bind's, if any).
  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }

  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  double Double(int column) const { return sqlite3_column_double(stmt_, column); }
  std::string Text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text == nullptr ? std::string() : std::string(text, sqlite3_column_bytes(stmt_, column));
  }
  std::string Blob(int column) const {
    const void* data = sqlite3_column_blob(stmt_, column);
    return data == nullptr
               ? std::string()
               : std::string(static_cast<const char*>(data), sqlite3_column_bytes(stmt_, column));
  }
  bool IsBlob(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_BLOB; }
  const void* BlobData(int column) const { return sqlite3_column_blob(stmt_, column); }
  size_t BlobSize(int column) const { return sqlite3_column_bytes(stmt_, column); }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
// An open connection, closed (sqlite3_close_v2) when dropped.
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

// Opens `path` so that its owner can check the file before anything is
// written to it: PRAGMA query_only makes SQLite refuse every write until
// AllowWrites, and a WAL left by a crash is not checkpointed into the file
// when a refused file is closed (an empty WAL that SQLite made itself may be,
// so that it is removed: that writes nothing into the file). Extended result
// codes are on; a lock another process holds is waited for up to
// `busy_timeout_ms`. Read-write opens create a missing file; read-only ones
// never write. NOMUTEX: the owner serialises every use of the connection.
// `what` names the step in errors ("open the audit log").
StatusOr<Connection> OpenForInspection(const std::string& path, bool read_only, int busy_timeout_ms,
                                       std::string_view what);
// Ends OpenForInspection's read-only phase once the file is known to be the
// owner's: writes are allowed, and closing checkpoints the WAL again.
Status AllowWrites(sqlite3* db, const std::string& path);

// Uncached statements, for opening and inspecting a file; errors map with
// ConstraintErrors::kInternal (they read pragmas and the schema, bind
// nothing). The first column of every row of `sql`, as text:
StatusOr<std::vector<std::string>> QueryColumn(sqlite3* db, const std::string& sql,
                                               std::string_view what, const std::string& path);
// The one value of `sql` as an integer (Internal unless there is exactly one row):
StatusOr<int64_t> QueryInt(sqlite3* db, const std::string& sql, std::string_view what,
                           const std::string& path);
// Runs `sql` (any number of statements, no results):
Status ExecOn(sqlite3* db, const std::string& sql, std::string_view what, const std::string& path);

// Checks that a file opened with OpenForInspection is one of the owner's
// single-table files: `application_id`, a schema version from 1 to
// `schema_version`, and exactly `table` (besides SQLite's own). A new, empty
// file sets *empty and is Ok. Otherwise Corruption (another file, or a broken
// schema) or Unsupported (a newer version), saying the file was left
// unchanged. `kind` names the file in errors ("video jobs").
Status InspectOwnedFile(sqlite3* db, const std::string& path, int64_t application_id,
                        int64_t schema_version, const std::string& table,
                        const std::string& kind, bool* empty);

// One SQLite connection with its cache of prepared statements, as the store
// and the audit log use theirs.
//
// Owns the connection and the statements: the destructor finalizes the
// statements and closes the connection (which checkpoints the WAL into the
// database file unless another connection still uses it).
//
// Thread safety: not safe for concurrent use; the owner serialises every call
// (SqliteStore::mutex_, the audit log's locks), as the connection is opened
// NOMUTEX.
class SqliteDb {
 public:
  SqliteDb(Connection db, std::string path, ConstraintErrors constraints)
      : db_(std::move(db)), path_(std::move(path)), constraints_(constraints) {}
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // A cached statement for `sql`, prepared on first use and kept until the
  // destructor. The cache grows with every distinct `sql`: pass constants, or
  // SQL built from a bounded set of pieces.
  StatusOr<Statement> Prepare(std::string_view sql);
  // Runs `sql` (any number of statements, no results) uncached.
  Status Exec(const std::string& sql, std::string_view what);
  // The Status for an SQLite result code, with sqlite3_errmsg and the path.
  Status Error(int rc, std::string_view what) const;
  // Runs `body` in one transaction: BEGIN IMMEDIATE when `write` (so the
  // write lock is taken up front and a busy database fails before any work),
  // plain BEGIN otherwise (one consistent snapshot for a multi-statement read).
  // COMMIT when `body` returns Ok; ROLLBACK when it fails, throws or COMMIT
  // fails, so that nothing of a failed call is applied.
  Status InTransaction(bool write, std::string_view what, const std::function<Status()>& body);

  // For the calls not wrapped here (sqlite3_changes64, checkpoints, ...).
  sqlite3* handle() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  // Finds a cached statement by the std::string_view it is asked for.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>()(sql); }
  };

  Connection db_;
  const std::string path_;
  const ConstraintErrors constraints_;
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> statements_;  // owned
};

}  // namespace candor::store

#endif  // CANDOR_STORE_SQLITE_UTIL_H_
