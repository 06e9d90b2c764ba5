// The stored-video jobs of a cluster (StartFaceDetection, StartFaceSearch) in
// the PostgreSQL database of `candor serve --store`, so that a job started
// on one node is answered by Get* on every node (video/video_jobs.h says
// what runs them). The rows hold what the SQLite file holds
// (video/video_job_store.h encodes a job's parts as JSON text), plus the
// node that runs the job and until when its lease holds.
//
// Table video_jobs (component "video_jobs", version 1). A node renews the
// leases of its IN_PROGRESS jobs; any node marks a job whose lease has
// expired FAILED (FailExpired), and the node that ran it can then no longer
// record an end (Complete answers NotFound): one writer of a job's end.
//
// Thread safety: safe for concurrent use (one connection behind a mutex).
#ifndef CANDOR_STORE_PG_VIDEO_JOBS_H_
#define CANDOR_STORE_PG_VIDEO_JOBS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "candor/status.h"

namespace candor::store {

namespace pg {
class PgDb;
}

// One job as stored: its parts as the video layer encodes them.
struct VideoJobRow {
  std::string job_id;
  std::string kind;                  // "FaceDetection", "FaceSearch"
  std::string client_request_token;  // empty: none
  std::string request_json, caller_json, policy_json;
  std::string status;  // "IN_PROGRESS", "SUCCEEDED", "FAILED"
  std::string status_message;
  int64_t created_ms = 0;
  int64_t completed_ms = 0;
  std::string metadata_json, results_json, search_json;
};

class PgVideoJobs {
 public:
  // Connects (a connection of its own) and creates or migrates the table.
  static StatusOr<std::unique_ptr<PgVideoJobs>> Open(const std::string& conninfo);
  ~PgVideoJobs();

  // Leases are in milliseconds from now by the database's clock (so that
  // the nodes' clocks do not matter).
  // Records a new job run by `node`, leased for `lease_ms`.
  // AlreadyExists when the JobId, or the kind and ClientRequestToken, are
  // taken (the caller then reads the earlier job with FindByToken).
  Status Insert(const VideoJobRow& row, const std::string& node, int64_t lease_ms);
  // Records the end of a job that `node` still holds (IN_PROGRESS, its
  // node): NotFound when it does not (another node failed it when its lease
  // expired).
  Status Complete(const VideoJobRow& row, const std::string& node);
  StatusOr<std::optional<VideoJobRow>> Find(const std::string& job_id);
  StatusOr<std::optional<VideoJobRow>> FindByToken(const std::string& kind,
                                                   const std::string& token);
  // The newest `limit` jobs of `kinds`, newest first (created_ms, JobId).
  StatusOr<std::vector<VideoJobRow>> List(const std::vector<std::string>& kinds, int64_t limit);
  // The IN_PROGRESS jobs of `node`, oldest first (to run again at its start).
  StatusOr<std::vector<VideoJobRow>> InProgressOf(const std::string& node);
  // Extends the leases of `node`'s IN_PROGRESS jobs to `lease_ms` from now.
  Status Renew(const std::string& node, int64_t lease_ms);
  // Marks FAILED, with `message` and no results, every IN_PROGRESS job
  // whose lease has ended; how many.
  StatusOr<int64_t> FailExpired(const std::string& message);

 private:
  explicit PgVideoJobs(std::unique_ptr<pg::PgDb> db);

  std::mutex mutex_;
  std::unique_ptr<pg::PgDb> db_;
};

}  // namespace candor::store

#endif  // CANDOR_STORE_PG_VIDEO_JOBS_H_
