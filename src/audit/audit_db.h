// The audit log's file: one SQLite connection with its cached statements,
// the schema, and the checks that refuse a file that is not an audit log.
// audit_db.cc is the audit module's one adapter around SQLite; nothing
// outside src/audit includes this header.
//
// Format of an audit log file (`<data_dir>/audit.db`):
//  - PRAGMA application_id = kAuditApplicationId, PRAGMA user_version =
//    kAuditSchemaVersion;
//  - events: one row per record. event_json is the canonical JSON that was
//    hashed (the record itself); time_ms, principal, operation and
//    collection_id repeat fields of it so that Query can use indexes, and
//    Verify checks that they still equal the JSON. hash = ChainHash(prev_hash,
//    event_json), hex.
//  - checkpoints: (seq, hash of record seq, time_ms, hex Ed25519 signature of
//    CheckpointMessage).
//  - meta: one row, the public key (PEM) and the creation time.
//
// Thread safety: an AuditDb is not safe for concurrent use; its owner
// serialises calls (see audit_log.cc).
#ifndef CANDOR_AUDIT_AUDIT_DB_H_
#define CANDOR_AUDIT_AUDIT_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "candor/status.h"

namespace candor::audit {

// "CAud" in ASCII: neither the store's file ("Cand") nor another
// application's is ever taken for an audit log.
inline constexpr int32_t kAuditApplicationId = 0x43417564;
inline constexpr int kAuditSchemaVersion = 1;

// A cached prepared statement lent out for one use: bind, step, and on
// destruction reset with bindings cleared. Values are bound with
// SQLITE_TRANSIENT (copied).
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
  void Bind(int index, int64_t value) { Check(sqlite3_bind_int64(stmt_, index, value)); }

  // SQLITE_ROW, SQLITE_DONE or an error code (the first failed bind's, if any).
  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }

  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text == nullptr ? std::string() : std::string(text, sqlite3_column_bytes(stmt_, column));
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

class AuditDb {
 public:
  // Opens `path`. Writable: creates the file (and its directory, mode 0700)
  // when missing, sets `*empty` when it has no audit schema yet. Read-only:
  // the file must exist and be an audit log (NotFound, Corruption). Either
  // way a file that is not an audit log, or of a newer schema, is refused
  // before anything is written to it.
  static StatusOr<std::unique_ptr<AuditDb>> Open(const std::string& path, bool read_only,
                                                 bool* empty);
  ~AuditDb();
  AuditDb(const AuditDb&) = delete;
  AuditDb& operator=(const AuditDb&) = delete;

  // Creates the tables and the meta row, unless another process did first
  // (then leaves its schema as it is).
  Status CreateSchema(const std::string& public_key_pem, int64_t created_ms);

  StatusOr<Statement> Prepare(std::string_view sql);
  // BEGIN (IMMEDIATE when `write`) ... COMMIT around `body`; rolls back on
  // every other exit.
  Status InTransaction(bool write, std::string_view what, const std::function<Status()>& body);
  Status Exec(const std::string& sql, std::string_view what);
  // The Status for an SQLite result code, with sqlite3_errmsg and the path.
  Status Error(int rc, std::string_view what) const;

  const std::string& path() const { return path_; }

 private:
  AuditDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_AUDIT_DB_H_
