#include "store/pg_stream_processors.h"

#include "store/pg_components.h"
#include "store/pg_util.h"

namespace candor::store {
namespace {

using pg::Param;
using pg::Result;

constexpr int64_t kStreamProcessorsSchemaVersion = 1;

const std::vector<pg::ComponentMigration> kStreamProcessorsMigrations = {
    {0, 1, "the cluster's stream processors", R"sql(
CREATE TABLE stream_processors (
  name TEXT COLLATE "C" PRIMARY KEY,
  arn TEXT NOT NULL,
  input_url TEXT NOT NULL,
  output_url TEXT NOT NULL,
  role_arn TEXT NOT NULL,
  collection_id TEXT NOT NULL,
  face_match_threshold DOUBLE PRECISION NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('STOPPED', 'RUNNING', 'FAILED')),
  status_message TEXT NOT NULL,
  caller_json TEXT NOT NULL,
  session_json TEXT NOT NULL,
  extras_json TEXT NOT NULL,
  node TEXT NOT NULL,
  lease_until_ms BIGINT NOT NULL
);
)sql"}};

#define CANDOR_PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
#define CANDOR_PG_SP_COLUMNS                                                                    \
  "name, arn, input_url, output_url, role_arn, collection_id, face_match_threshold, "         \
  "created_ms, updated_ms, status, status_message, caller_json, session_json, extras_json, " \
  "node"

std::vector<StreamProcessorRow> ReadRows(const Result& r) {
  std::vector<StreamProcessorRow> rows;
  for (int i = 0; i < r.rows(); ++i) {
    rows.push_back({.name = r.Bytes(i, 0),
                    .arn = r.Bytes(i, 1),
                    .input_url = r.Bytes(i, 2),
                    .output_url = r.Bytes(i, 3),
                    .role_arn = r.Bytes(i, 4),
                    .collection_id = r.Bytes(i, 5),
                    .face_match_threshold = r.Double(i, 6),
                    .created_ms = r.Int(i, 7),
                    .updated_ms = r.Int(i, 8),
                    .status = r.Bytes(i, 9),
                    .status_message = r.Bytes(i, 10),
                    .caller_json = r.Bytes(i, 11),
                    .session_json = r.Bytes(i, 12),
                    .extras_json = r.Bytes(i, 13),
                    .node = r.Bytes(i, 14)});
  }
  return rows;
}

}  // namespace

PgStreamProcessors::PgStreamProcessors(std::unique_ptr<pg::PgDb> db) : db_(std::move(db)) {}
PgStreamProcessors::~PgStreamProcessors() = default;

StatusOr<std::unique_ptr<PgStreamProcessors>> PgStreamProcessors::Open(
    const std::string& conninfo) {
  CANDOR_ASSIGN_OR_RETURN(pg::Conn conn, pg::Connect(conninfo));
  auto db = std::make_unique<pg::PgDb>(std::move(conn));
  CANDOR_RETURN_IF_ERROR(pg::MigrateComponent(*db, "stream_processors",
                                              kStreamProcessorsSchemaVersion,
                                              kStreamProcessorsMigrations, {"stream_processors"}));
  return std::unique_ptr<PgStreamProcessors>(new PgStreamProcessors(std::move(db)));
}

Status PgStreamProcessors::Insert(const StreamProcessorRow& p) {
  std::lock_guard lock(mutex_);
  auto r = db_->Exec("INSERT INTO stream_processors (" CANDOR_PG_SP_COLUMNS
                     ", lease_until_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
                     " $12, $13, $14, $15, 0)",
                     {Param::Text(p.name), Param::Text(p.arn), Param::Text(p.input_url),
                      Param::Text(p.output_url), Param::Text(p.role_arn),
                      Param::Text(p.collection_id), Param::Double(p.face_match_threshold),
                      Param::Int(p.created_ms), Param::Int(p.updated_ms), Param::Text(p.status),
                      Param::Text(p.status_message), Param::Text(p.caller_json),
                      Param::Text(p.session_json), Param::Text(p.extras_json),
                      Param::Text(p.node)},
                     "record the stream processor " + p.name);
  if (r.status().code() == StatusCode::kAlreadyExists) {
    return Status::ResourceInUse("a stream processor named " + p.name + " already exists");
  }
  return r.status();
}

StatusOr<std::vector<StreamProcessorRow>> PgStreamProcessors::All() {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(Result r,
                          db_->Exec("SELECT " CANDOR_PG_SP_COLUMNS
                                    " FROM stream_processors ORDER BY name",
                                    {}, "read the stream processors"));
  return ReadRows(r);
}

StatusOr<bool> PgStreamProcessors::Claim(const std::string& name, const std::string& node,
                                         int64_t lease_ms, const std::string& caller_json,
                                         int64_t updated_ms) {
  std::lock_guard lock(mutex_);
  const std::string what = "start the stream processor " + name;
  CANDOR_ASSIGN_OR_RETURN(
      Result r, db_->Exec("UPDATE stream_processors SET status = 'RUNNING', status_message = '',"
                          " caller_json = $3, updated_ms = $4, node = $2,"
                          " lease_until_ms = " CANDOR_PG_NOW_MS " + $5"
                          " WHERE name = $1 AND status <> 'RUNNING'",
                          {Param::Text(name), Param::Text(node), Param::Text(caller_json),
                           Param::Int(updated_ms), Param::Int(lease_ms)},
                          what));
  if (r.affected() == 1) return true;
  CANDOR_ASSIGN_OR_RETURN(Result exists,
                          db_->Exec("SELECT 1 FROM stream_processors WHERE name = $1",
                                    {Param::Text(name)}, what));
  if (exists.rows() == 0) return Status::NotFound("no stream processor named " + name);
  return false;
}

StatusOr<bool> PgStreamProcessors::EndRunning(const std::string& name, const std::string& node,
                                              const std::string& status,
                                              const std::string& message, int64_t updated_ms) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      Result r, db_->Exec("UPDATE stream_processors SET status = $3, status_message = $4,"
                          " updated_ms = $5 WHERE name = $1 AND status = 'RUNNING'"
                          " AND ($2 = '' OR node = $2)",
                          {Param::Text(name), Param::Text(node), Param::Text(status),
                           Param::Text(message), Param::Int(updated_ms)},
                          "record the stream processor's status"));
  return r.affected() == 1;
}

Status PgStreamProcessors::SaveExtras(const std::string& name, const std::string& extras_json) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      Result r, db_->Exec("UPDATE stream_processors SET extras_json = $2 WHERE name = $1",
                          {Param::Text(name), Param::Text(extras_json)},
                          "record the stream processor's tags"));
  if (r.affected() == 0) return Status::NotFound("no stream processor named " + name);
  return Status::Ok();
}

Status PgStreamProcessors::SaveSession(const std::string& name, const std::string& session_json) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      Result r, db_->Exec("UPDATE stream_processors SET session_json = $2 WHERE name = $1",
                          {Param::Text(name), Param::Text(session_json)},
                          "record the stream processor's session"));
  if (r.affected() == 0) return Status::NotFound("no stream processor named " + name);
  return Status::Ok();
}

Status PgStreamProcessors::Delete(const std::string& name) {
  std::lock_guard lock(mutex_);
  const std::string what = "delete the stream processor " + name;
  CANDOR_ASSIGN_OR_RETURN(
      Result r, db_->Exec("DELETE FROM stream_processors WHERE name = $1 AND status <> 'RUNNING'",
                          {Param::Text(name)}, what));
  if (r.affected() == 1) return Status::Ok();
  CANDOR_ASSIGN_OR_RETURN(Result exists,
                          db_->Exec("SELECT 1 FROM stream_processors WHERE name = $1",
                                    {Param::Text(name)}, what));
  if (exists.rows() == 0) return Status::NotFound("no stream processor named " + name);
  return Status::ResourceInUse("stream processor " + name +
                               " is RUNNING; stop it before deleting it");
}

Status PgStreamProcessors::Renew(const std::string& node, int64_t lease_ms) {
  std::lock_guard lock(mutex_);
  return db_
      ->Exec("UPDATE stream_processors SET lease_until_ms = " CANDOR_PG_NOW_MS " + $2"
             " WHERE node = $1 AND status = 'RUNNING'",
             {Param::Text(node), Param::Int(lease_ms)}, "renew the stream processors' leases")
      .status();
}

StatusOr<std::vector<StreamProcessorRow>> PgStreamProcessors::TakeExpired(const std::string& node,
                                                                          int64_t lease_ms,
                                                                          int64_t limit) {
  std::lock_guard lock(mutex_);
  // SKIP LOCKED: two nodes taking at once take different processors.
  CANDOR_ASSIGN_OR_RETURN(
      Result r,
      db_->Exec("UPDATE stream_processors SET node = $1,"
                " lease_until_ms = " CANDOR_PG_NOW_MS " + $2"
                " WHERE name IN (SELECT name FROM stream_processors WHERE status = 'RUNNING'"
                " AND lease_until_ms < " CANDOR_PG_NOW_MS
                " ORDER BY name LIMIT $3 FOR UPDATE SKIP LOCKED)"
                " RETURNING " CANDOR_PG_SP_COLUMNS,
                {Param::Text(node), Param::Int(lease_ms), Param::Int(limit)},
                "take over the stream processors of nodes that stopped"));
  return ReadRows(r);
}

#undef CANDOR_PG_SP_COLUMNS
#undef CANDOR_PG_NOW_MS

}  // namespace candor::store
