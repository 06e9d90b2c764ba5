#include "store/pg_video_jobs.h"

#include "store/pg_components.h"
#include "store/pg_util.h"

namespace candor::store {
namespace {

using pg::Param;
using pg::Result;

constexpr int64_t kVideoJobsSchemaVersion = 1;

// The unique index on (kind, client_request_token) makes a token's first
// job the only one, whichever node two retries of a Start reach.
const std::vector<pg::ComponentMigration> kVideoJobsMigrations = {
    {0, 1, "the cluster's stored-video jobs", R"sql(
CREATE TABLE video_jobs (
  job_id TEXT COLLATE "C" PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('FaceDetection', 'FaceSearch')),
  client_request_token TEXT NOT NULL,
  request_json TEXT NOT NULL,
  caller_json TEXT NOT NULL,
  policy_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('IN_PROGRESS', 'SUCCEEDED', 'FAILED')),
  status_message TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  completed_ms BIGINT NOT NULL,
  metadata_json TEXT NOT NULL,
  results_json TEXT NOT NULL,
  search_json TEXT NOT NULL,
  node TEXT NOT NULL,
  lease_until_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX video_jobs_by_token ON video_jobs (kind, client_request_token)
  WHERE client_request_token <> '';
CREATE INDEX video_jobs_by_created ON video_jobs (created_ms DESC, job_id DESC);
CREATE INDEX video_jobs_in_progress ON video_jobs (lease_until_ms) WHERE status = 'IN_PROGRESS';
)sql"}};

// The database's clock in milliseconds: leases are set and judged by one
// clock, whatever the nodes' clocks say.
#define CANDOR_PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
#define CANDOR_PG_JOB_COLUMNS                                                              \
  "job_id, kind, client_request_token, request_json, caller_json, policy_json, status, " \
  "status_message, created_ms, completed_ms, metadata_json, results_json, search_json"

VideoJobRow ReadRow(const Result& r, int i) {
  return {.job_id = r.Bytes(i, 0),
          .kind = r.Bytes(i, 1),
          .client_request_token = r.Bytes(i, 2),
          .request_json = r.Bytes(i, 3),
          .caller_json = r.Bytes(i, 4),
          .policy_json = r.Bytes(i, 5),
          .status = r.Bytes(i, 6),
          .status_message = r.Bytes(i, 7),
          .created_ms = r.Int(i, 8),
          .completed_ms = r.Int(i, 9),
          .metadata_json = r.Bytes(i, 10),
          .results_json = r.Bytes(i, 11),
          .search_json = r.Bytes(i, 12)};
}

std::vector<VideoJobRow> ReadRows(const Result& r) {
  std::vector<VideoJobRow> rows;
  for (int i = 0; i < r.rows(); ++i) rows.push_back(ReadRow(r, i));
  return rows;
}

}  // namespace

PgVideoJobs::PgVideoJobs(std::unique_ptr<pg::PgDb> db) : db_(std::move(db)) {}
PgVideoJobs::~PgVideoJobs() = default;

StatusOr<std::unique_ptr<PgVideoJobs>> PgVideoJobs::Open(const std::string& conninfo) {
  CANDOR_ASSIGN_OR_RETURN(pg::Conn conn, pg::Connect(conninfo));
  auto db = std::make_unique<pg::PgDb>(std::move(conn));
  CANDOR_RETURN_IF_ERROR(pg::MigrateComponent(*db, "video_jobs", kVideoJobsSchemaVersion,
                                              kVideoJobsMigrations, {"video_jobs"}));
  return std::unique_ptr<PgVideoJobs>(new PgVideoJobs(std::move(db)));
}

Status PgVideoJobs::Insert(const VideoJobRow& row, const std::string& node, int64_t lease_ms) {
  std::lock_guard lock(mutex_);
  const std::string what = "record the video job " + row.job_id;
  auto r = db_->Exec(
      "INSERT INTO video_jobs (" CANDOR_PG_JOB_COLUMNS
      ", node, lease_until_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
      " $14, " CANDOR_PG_NOW_MS " + $15)",
      {Param::Text(row.job_id), Param::Text(row.kind), Param::Text(row.client_request_token),
       Param::Text(row.request_json), Param::Text(row.caller_json), Param::Text(row.policy_json),
       Param::Text(row.status), Param::Text(row.status_message), Param::Int(row.created_ms),
       Param::Int(row.completed_ms), Param::Text(row.metadata_json),
       Param::Text(row.results_json), Param::Text(row.search_json), Param::Text(node),
       Param::Int(lease_ms)},
      what);
  if (r.status().code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("a video job " + row.job_id + " or of its token already exists");
  }
  return r.status();
}

Status PgVideoJobs::Complete(const VideoJobRow& row, const std::string& node) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      Result r,
      db_->Exec("UPDATE video_jobs SET status = $3, status_message = $4, completed_ms = $5,"
                " metadata_json = $6, results_json = $7, search_json = $8"
                " WHERE job_id = $1 AND node = $2 AND status = 'IN_PROGRESS'",
                {Param::Text(row.job_id), Param::Text(node), Param::Text(row.status),
                 Param::Text(row.status_message), Param::Int(row.completed_ms),
                 Param::Text(row.metadata_json), Param::Text(row.results_json),
                 Param::Text(row.search_json)},
                "record the end of the video job " + row.job_id));
  if (r.affected() == 0) {
    return Status::NotFound("the video job " + row.job_id +
                            " is no longer this node's to end (its lease expired)");
  }
  return Status::Ok();
}

StatusOr<std::optional<VideoJobRow>> PgVideoJobs::Find(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      Result r, db_->Exec("SELECT " CANDOR_PG_JOB_COLUMNS " FROM video_jobs WHERE job_id = $1",
                          {Param::Text(job_id)}, "read a video job"));
  if (r.rows() == 0) return std::optional<VideoJobRow>();
  return std::optional<VideoJobRow>(ReadRow(r, 0));
}

StatusOr<std::optional<VideoJobRow>> PgVideoJobs::FindByToken(const std::string& kind,
                                                              const std::string& token) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      Result r, db_->Exec("SELECT " CANDOR_PG_JOB_COLUMNS
                          " FROM video_jobs WHERE kind = $1 AND client_request_token = $2",
                          {Param::Text(kind), Param::Text(token)}, "read a video job's token"));
  if (r.rows() == 0) return std::optional<VideoJobRow>();
  return std::optional<VideoJobRow>(ReadRow(r, 0));
}

StatusOr<std::vector<VideoJobRow>> PgVideoJobs::List(const std::vector<std::string>& kinds,
                                                     int64_t limit) {
  std::lock_guard lock(mutex_);
  // Two kinds at most: passed as two parameters (the second may repeat the
  // first).
  if (kinds.empty()) return std::vector<VideoJobRow>();
  CANDOR_ASSIGN_OR_RETURN(
      Result r, db_->Exec("SELECT " CANDOR_PG_JOB_COLUMNS
                          " FROM video_jobs WHERE kind = $1 OR kind = $2"
                          " ORDER BY created_ms DESC, job_id DESC LIMIT $3",
                          {Param::Text(kinds.front()), Param::Text(kinds.back()),
                           Param::Int(limit)},
                          "list the video jobs"));
  return ReadRows(r);
}

StatusOr<std::vector<VideoJobRow>> PgVideoJobs::InProgressOf(const std::string& node) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      Result r, db_->Exec("SELECT " CANDOR_PG_JOB_COLUMNS
                          " FROM video_jobs WHERE node = $1 AND status = 'IN_PROGRESS'"
                          " ORDER BY created_ms, job_id",
                          {Param::Text(node)}, "read this node's video jobs"));
  return ReadRows(r);
}

Status PgVideoJobs::Renew(const std::string& node, int64_t lease_ms) {
  std::lock_guard lock(mutex_);
  return db_
      ->Exec("UPDATE video_jobs SET lease_until_ms = " CANDOR_PG_NOW_MS " + $2"
             " WHERE node = $1 AND status = 'IN_PROGRESS'",
             {Param::Text(node), Param::Int(lease_ms)}, "renew the video jobs' leases")
      .status();
}

StatusOr<int64_t> PgVideoJobs::FailExpired(const std::string& message) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      Result r, db_->Exec("UPDATE video_jobs SET status = 'FAILED', status_message = $1,"
                          " completed_ms = " CANDOR_PG_NOW_MS ", results_json = '[]'"
                          " WHERE status = 'IN_PROGRESS' AND lease_until_ms < " CANDOR_PG_NOW_MS,
                          {Param::Text(message)},
                          "fail the video jobs whose node stopped"));
  return r.affected();
}

#undef CANDOR_PG_JOB_COLUMNS
#undef CANDOR_PG_NOW_MS

}  // namespace candor::store
