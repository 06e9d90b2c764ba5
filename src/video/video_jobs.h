// Rekognition's asynchronous stored-video jobs: StartFaceDetection /
// GetFaceDetection and StartFaceSearch / GetFaceSearch.
//
// A Start* call records the job (IN_PROGRESS) in <data-dir>/video_jobs.db
// and queues it; one worker thread runs the jobs one at a time, in the order
// they were started, with a VideoAnalyzer (5 frames analysed per second of
// video). When a job ends its status (SUCCEEDED or FAILED), the video's
// metadata and its results are stored, and Get* answers from them for as long
// as the file is kept.
//
// FaceSearch: the collection's policy is applied at Start, to the caller who
// started the job and the reason they gave, exactly as for SearchFacesByImage
// (threshold raised to the floor or the start refused, a reason when
// required, matches per search capped by MaxFaces). When a search job ends,
// one audit record (operation "StartFaceSearch.Completed") names the caller,
// collection, purpose, reason, the thresholds and every FaceId matched with
// its Similarity and Timestamp, before its results can be read; if the audit
// log refuses it, the job FAILS and no result is kept.
//
// Restart: jobs that ended stay answerable. A job IN_PROGRESS when the
// service stopped (shutdown, crash or kill) is run again from the start when
// the manager opens, with the policy applied at its Start (its partial
// results were never kept). A crash after a search job's audit record was
// appended but before its end was stored re-runs it, and the audit log then
// holds two records of that JobId.
//
// On a cluster (`candor serve --store postgresql://...`, shared_store set)
// the jobs are the database's (store/pg_video_jobs.h) instead of the file's:
// a job runs on the node that started it, and Get* and ListVideoJobs on
// every node answer from the database (the status, and the results once the
// job ended). A ClientRequestToken names one job in the whole cluster. The
// node holds a lease on each of its IN_PROGRESS jobs (lease_ms, renewed
// every lease_ms / 3); when it stops without ending one (kill -9, a
// shutdown, a lost database) and its lease runs out, any node (each looks
// every lease_ms / 3) marks the job FAILED with kNodeStoppedMessage and no
// results, and the node that ran it can no longer record an end. A node
// that starts again within the lease (the same node name: host and data
// directory) runs its IN_PROGRESS jobs again, as with the file.
//
// NotificationChannel (SNS) is not supported: clients poll Get*.
//
// Thread safety: all methods may be called concurrently.
#ifndef CANDOR_VIDEO_VIDEO_JOBS_H_
#define CANDOR_VIDEO_VIDEO_JOBS_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "candor/status.h"
#include "candor/video.h"
#include "video/video_job_store.h"

namespace candor::video {

using VideoAnalyzerFactory =
    std::function<StatusOr<std::unique_ptr<VideoAnalyzer>>(const VideoOptions& options)>;

// The StatusMessage of a job whose node stopped before it ended.
inline constexpr char kNodeStoppedMessage[] =
    "the node running this job stopped before it ended (its lease expired); start the job again";

struct VideoJobManagerOptions {
  std::string db_path;  // <data-dir>/video_jobs.db
  // A cluster's database (a libpq connection string): the jobs are its, and
  // db_path is not used. `node` names this node in the leases (it must be
  // the same across restarts: server::JournalNode).
  std::string shared_store;
  std::string node;
  int64_t lease_ms = 30000;
  VideoAnalyzerFactory analyzer_factory;
  // For the policy of the searched collection; must outlive the manager.
  Collections* collections = nullptr;
  // Null: search jobs are not audited (tests of the lifecycle only).
  audit::AuditLog* audit = nullptr;
  // Jobs queued or running at once (Rekognition's default quota is 20
  // concurrent jobs); more: LimitExceeded.
  int max_pending = 20;
  // Faces[] or Persons[] entries a job may produce; beyond: FAILED (the
  // results are held in memory and in one row).
  size_t max_results = 200000;
};

struct StartedVideoJob {
  std::string job_id;
  SessionPolicy policy;  // FaceSearch: what the policy did
  bool reused = false;   // an earlier job of the same ClientRequestToken
};

// A failed job's StatusMessage: `message` with the server's file names taken
// out (the video's local path becomes the S3Object the caller named, any
// other absolute path "(a server path)"); the whole message goes to the
// service's log.
std::string PublicStatusMessage(const std::string& message, const VideoJobRequest& r);

class VideoJobManager {
 public:
  // Opens (or creates) the store and queues the jobs left IN_PROGRESS.
  static StatusOr<std::unique_ptr<VideoJobManager>> Open(VideoJobManagerOptions options);
  // Shutdown().
  ~VideoJobManager();

  // Records and queues a job. FaceSearch: NotFound for a missing collection,
  // the policy's PermissionDenied. A ClientRequestToken already used for the
  // same kind returns that job when the parameters are the same, else
  // IdempotentParameterMismatch. ResourceExhausted past max_pending.
  StatusOr<StartedVideoJob> Start(const VideoJobRequest& request, const SessionCaller& caller);
  // A copy of the job; NotFound when no job of `kind` has this id.
  StatusOr<std::shared_ptr<const StoredVideoJob>> Get(const std::string& job_id,
                                                      VideoJobKind kind) const;

  // The newest `max_results` jobs of the kinds in `kinds`, newest first
  // (created_ms, then JobId). Fails only on a cluster (the database).
  StatusOr<std::vector<std::shared_ptr<const StoredVideoJob>>> List(
      const std::vector<VideoJobKind>& kinds, size_t max_results) const;

  // On a cluster: renews this node's leases and fails the jobs of nodes
  // whose leases ran out, now (a thread does it every lease_ms / 3); how
  // many jobs it failed.
  StatusOr<int64_t> KeepLeases();

  // Cancels the running job (it stays IN_PROGRESS in the file and runs again
  // at the next open) and joins the worker. Later Starts are refused.
  // Idempotent.
  void Shutdown();

 private:
  explicit VideoJobManager(VideoJobManagerOptions options);
  void WorkerLoop();
  void LeaseLoop();
  // Start's part under mutex_ on a cluster: the token's job, or a new one.
  StatusOr<StartedVideoJob> StartShared(StoredVideoJob job);
  // Runs one job to its end; false when it was cancelled by Shutdown.
  bool RunJob(StoredVideoJob& job);
  Status AuditSearch(const StoredVideoJob& job, const std::vector<VideoTrackMatch>& matches,
                     const Status& error);

  const VideoJobManagerOptions options_;
  std::unique_ptr<VideoJobStore> store_;           // the file; null on a cluster
  std::unique_ptr<store::PgVideoJobs> shared_;     // the cluster's; null with a file

  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  // Snapshots: replaced (never changed in place) when a job ends.
  std::map<std::string, std::shared_ptr<const StoredVideoJob>> jobs_;
  std::map<std::string, std::string> tokens_;  // "<kind>/<token>" -> JobId
  std::deque<std::string> queue_;
  bool shut_down_ = false;

  std::atomic<bool> cancel_{false};
  std::thread worker_;
  std::thread lease_keeper_;  // on a cluster
  std::condition_variable lease_wake_;  // Shutdown wakes lease_keeper_
};

}  // namespace candor::video

#endif  // CANDOR_VIDEO_VIDEO_JOBS_H_
