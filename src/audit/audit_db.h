// The audit log's file: one SQLite connection with its cached statements,
// the schema, and the checks that refuse a file that is not an audit log.
// audit_db.cc is the audit module's part of the SQLite adapter: it calls
// SQLite through store/sqlite_util.h, which it shares with the store, and
// adds only the audit log's schema and checks. Nothing outside src/audit
// includes this header.
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

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "candor/status.h"
#include "store/sqlite_util.h"

namespace candor::audit {

// "CAud" in ASCII: neither the store's file ("Cand") nor another
// application's is ever taken for an audit log.
inline constexpr int32_t kAuditApplicationId = 0x43417564;
inline constexpr int kAuditSchemaVersion = 1;

class AuditDb {
 public:
  // Opens `path`. Writable: creates the file (and its directory, mode 0700)
  // when missing, sets `*empty` when it has no audit schema yet. Read-only:
  // the file must exist and be an audit log (NotFound, Corruption). Either
  // way a file that is not an audit log, or of a newer schema, is refused
  // before anything is written to it.
  static StatusOr<std::unique_ptr<AuditDb>> Open(const std::string& path, bool read_only,
                                                 bool* empty);
  AuditDb(const AuditDb&) = delete;
  AuditDb& operator=(const AuditDb&) = delete;

  // Creates the tables and the meta row, unless another process did first
  // (then leaves its schema as it is).
  Status CreateSchema(const std::string& public_key_pem, int64_t created_ms);

  // As store::SqliteDb's; an SQLite constraint that fails here is Internal
  // (ConstraintErrors::kInternal): every value is one the log computed.
  StatusOr<store::Statement> Prepare(std::string_view sql) { return db_.Prepare(sql); }
  Status InTransaction(bool write, std::string_view what, const std::function<Status()>& body) {
    return db_.InTransaction(write, what, body);
  }
  Status Exec(const std::string& sql, std::string_view what) { return db_.Exec(sql, what); }
  Status Error(int rc, std::string_view what) const { return db_.Error(rc, what); }

  const std::string& path() const { return db_.path(); }

 private:
  AuditDb(store::Connection db, std::string path)
      : db_(std::move(db), std::move(path), store::ConstraintErrors::kInternal) {}

  store::SqliteDb db_;
};

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_AUDIT_DB_H_
