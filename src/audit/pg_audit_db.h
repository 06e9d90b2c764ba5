// The PostgreSQL audit log's tables (pg_audit_log.cc): opening a database
// for it, its versioned schema, and verifying it. The audit module's part
// of the libpq adapter: it calls PostgreSQL through store/pg_util.h, shared
// with the PostgreSQL store. Nothing outside src/audit includes this header.
//
// Tables (schema version kPgAuditSchemaVersion, in
// candor_audit_schema_version, apart from the store's candor_schema_version
// so that either can migrate alone):
//  - audit_events: one row per record, the columns of the SQLite log's
//    events table (audit_db.h): event_json is the canonical JSON that was
//    hashed, hash = ChainHash(prev_hash, event_json); time_ms, principal,
//    operation and collection_id repeat fields of it for Query's indexes.
//  - audit_checkpoints: (seq, hash of record seq, time_ms, hex Ed25519
//    signature of CheckpointMessage, the signer's public key PEM): every
//    node signs with its own key.
//  - audit_meta: one row, the log's creation time.
//
// Thread safety: a PgDb is not safe for concurrent use; callers serialise.
#ifndef CANDOR_AUDIT_PG_AUDIT_DB_H_
#define CANDOR_AUDIT_PG_AUDIT_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_crypto.h"
#include "audit/audit_log.h"
#include "candor/status.h"
#include "store/pg_util.h"

namespace candor::audit {

inline constexpr int kPgAuditSchemaVersion = 1;

// Connects to `uri`. Writable: creates or migrates the audit tables (one
// process at a time). Read-only: NotFound when the database holds no audit
// log, Unsupported for a schema of another version; nothing is written.
// Throttling when the server cannot be reached.
StatusOr<std::unique_ptr<store::pg::PgDb>> OpenPgAuditDb(const std::string& uri, bool read_only);

// The log's creation time (audit_meta).
StatusOr<int64_t> ReadPgAuditCreatedMs(store::pg::PgDb& db);

// Reads the log in one snapshot (REPEATABLE READ) and reports every problem
// with its seq: the chain and the records as VerifyAuditLog does, and each
// checkpoint's signature against the public key recorded beside it. With
// `trusted` keys, a checkpoint signed by any other key is a problem too
// (`trusted_source` names them in the report).
StatusOr<VerifyReport> VerifyPgAuditLog(store::pg::PgDb& db, const std::vector<SigningKey>& trusted,
                                        const std::string& trusted_source);

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_PG_AUDIT_DB_H_
