#include "audit/pg_audit_db.h"

#include <iterator>
#include <utility>

namespace candor::audit {
namespace {

using store::pg::Param;
using store::pg::PgDb;
using store::pg::Result;

// Version 1. COLLATE "C": byte order and byte equality, as SQLite compares
// (Query's filters are exact). Each index ends with seq, so a filtered page
// in seq order is one range scan. No foreign key from checkpoints to events:
// a deleted record must stay deletable so that Verify can report it.
constexpr char kPgAuditVersion1[] = R"sql(
CREATE TABLE audit_meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  created_ms BIGINT NOT NULL
);
INSERT INTO audit_meta VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT);
CREATE TABLE audit_events (
  seq BIGINT PRIMARY KEY,
  time_ms BIGINT NOT NULL,
  principal TEXT COLLATE "C" NOT NULL,
  operation TEXT COLLATE "C" NOT NULL,
  collection_id TEXT COLLATE "C" NOT NULL,
  event_json TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_events_by_time ON audit_events (time_ms, seq);
CREATE INDEX audit_events_by_principal ON audit_events (principal, seq);
CREATE INDEX audit_events_by_collection ON audit_events (collection_id, seq);
CREATE INDEX audit_events_by_operation ON audit_events (operation, seq);
CREATE TABLE audit_checkpoints (
  seq BIGINT PRIMARY KEY,
  hash TEXT NOT NULL,
  time_ms BIGINT NOT NULL,
  signature TEXT NOT NULL,
  signer_public_key_pem TEXT NOT NULL
);
)sql";

struct PgAuditMigration {
  int from_version;
  int to_version;
  const char* description;
  const char* sql;
};
constexpr PgAuditMigration kPgAuditMigrations[] = {
    {0, 1, "audit records, checkpoints and meta", kPgAuditVersion1},
};
static_assert(std::size(kPgAuditMigrations) == kPgAuditSchemaVersion,
              "a migration step for each audit schema version");

constexpr const char* kAuditTables[] = {"audit_meta", "audit_events", "audit_checkpoints"};

// Serialises migrations of the audit tables between processes ("candor-a"
// in ASCII; the store's is "candor-s").
constexpr int64_t kAuditMigrationLockKey = 0x63616e646f722d61;

constexpr char kHasVersion[] = "SELECT to_regclass('candor_audit_schema_version') IS NOT NULL";
constexpr char kReadVersion[] = "SELECT version FROM candor_audit_schema_version";

// The schema version; 0 for a database without audit tables (Corruption if
// it has tables of their names that this code did not make).
StatusOr<int64_t> ReadVersion(PgDb& db) {
  const std::string where = db.Describe();
  CANDOR_ASSIGN_OR_RETURN(Result has, db.Exec(kHasVersion, {}, "read the audit schema version"));
  if (!has.Bool(0, 0)) {
    for (const char* table : kAuditTables) {
      CANDOR_ASSIGN_OR_RETURN(Result t, db.Exec("SELECT to_regclass($1) IS NOT NULL",
                                                {Param::Text(table)}, "read the audit schema"));
      if (t.Bool(0, 0)) {
        return Status::Corruption(where + " has a table " + table +
                                  " but no candor_audit_schema_version: not Candor's audit log;"
                                  " it was left unchanged");
      }
    }
    return int64_t{0};
  }
  CANDOR_ASSIGN_OR_RETURN(Result r, db.Exec(kReadVersion, {}, "read the audit schema version"));
  if (r.rows() != 1 || r.Int(0, 0) < 0) {
    return Status::Corruption(where + ": candor_audit_schema_version does not hold one version"
                              " (" + std::to_string(r.rows()) + " rows); it was left unchanged");
  }
  const int64_t version = r.Int(0, 0);
  if (version > kPgAuditSchemaVersion) {
    return Status::Unsupported(where + " has audit schema version " + std::to_string(version) +
                               ", newer than version " + std::to_string(kPgAuditSchemaVersion) +
                               " that this build of Candor reads; use a newer Candor;"
                               " it was left unchanged");
  }
  return version;
}

Status MigrateLocked(PgDb& db) {
  for (;;) {
    bool done = false;
    CANDOR_RETURN_IF_ERROR(db.InTransaction(true, "migrate the audit schema", [&]() -> Status {
      CANDOR_ASSIGN_OR_RETURN(const int64_t version, ReadVersion(db));
      done = version == kPgAuditSchemaVersion;
      if (done) return Status::Ok();
      if (version == 0) {
        CANDOR_RETURN_IF_ERROR(
            db.ExecScript("CREATE TABLE IF NOT EXISTS candor_audit_schema_version"
                          " (version BIGINT NOT NULL);"
                          " DELETE FROM candor_audit_schema_version;"
                          " INSERT INTO candor_audit_schema_version VALUES (0)",
                          "create the audit schema version"));
      }
      const PgAuditMigration* step = nullptr;
      for (const PgAuditMigration& m : kPgAuditMigrations) {
        if (m.from_version == version) step = &m;
      }
      if (step == nullptr) {
        return Status::Unsupported(db.Describe() + " has audit schema version " +
                                   std::to_string(version) + ", from which no migration exists");
      }
      const std::string what = "migrate " + db.Describe() + " to audit schema version " +
                               std::to_string(step->to_version) + " (" + step->description + ")";
      CANDOR_RETURN_IF_ERROR(db.ExecScript(step->sql, what));
      return db.Exec("UPDATE candor_audit_schema_version SET version = $1",
                     {Param::Int(step->to_version)}, what)
          .status();
    }));
    if (done) return Status::Ok();
  }
}

}  // namespace

StatusOr<std::unique_ptr<PgDb>> OpenPgAuditDb(const std::string& uri, bool read_only) {
  CANDOR_ASSIGN_OR_RETURN(store::pg::Conn conn, store::pg::Connect(uri));
  auto db = std::make_unique<PgDb>(std::move(conn));
  if (read_only) {
    CANDOR_ASSIGN_OR_RETURN(const int64_t version, ReadVersion(*db));
    if (version == 0) {
      return Status::NotFound(db->Describe() +
                              " holds no audit log (`candor serve --store` creates it)");
    }
    if (version != kPgAuditSchemaVersion) {
      return Status::Unsupported(db->Describe() + " has audit schema version " +
                                 std::to_string(version) + "; `candor serve --store` migrates it");
    }
    return db;
  }
  // One process at a time creates or migrates; the session's lock, taken
  // before the transactions so that their snapshots see the previous
  // holder's work.
  CANDOR_RETURN_IF_ERROR(db->Exec("SELECT pg_advisory_lock($1)",
                                  {Param::Int(kAuditMigrationLockKey)}, "lock the audit schema")
                             .status());
  const Status migrated = MigrateLocked(*db);
  (void)db->Exec("SELECT pg_advisory_unlock($1)", {Param::Int(kAuditMigrationLockKey)},
                 "unlock the audit schema");
  CANDOR_RETURN_IF_ERROR(migrated);
  return db;
}

StatusOr<int64_t> ReadPgAuditCreatedMs(PgDb& db) {
  CANDOR_ASSIGN_OR_RETURN(Result r, db.Exec("SELECT created_ms FROM audit_meta WHERE id = 1", {},
                                            "read the audit log's meta row"));
  if (r.rows() != 1) return Status::Corruption(db.Describe() + ": the audit log has no meta row");
  return r.Int(0, 0);
}

}  // namespace candor::audit
