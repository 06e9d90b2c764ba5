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

struct VideoJobManagerOptions {
  std::string db_path;  // <data-dir>/video_jobs.db
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
  // (created_ms, then JobId).
  std::vector<std::shared_ptr<const StoredVideoJob>> List(const std::vector<VideoJobKind>& kinds,
                                                          size_t max_results) const;

  // Cancels the running job (it stays IN_PROGRESS in the file and runs again
  // at the next open) and joins the worker. Later Starts are refused.
  // Idempotent.
  void Shutdown();

 private:
  explicit VideoJobManager(VideoJobManagerOptions options);
  void WorkerLoop();
  // Runs one job to its end; false when it was cancelled by Shutdown.
  bool RunJob(StoredVideoJob& job);
  Status AuditSearch(const StoredVideoJob& job, const std::vector<VideoTrackMatch>& matches,
                     const Status& error);

  const VideoJobManagerOptions options_;
  std::unique_ptr<VideoJobStore> store_;

  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  // Snapshots: replaced (never changed in place) when a job ends.
  std::map<std::string, std::shared_ptr<const StoredVideoJob>> jobs_;
  std::map<std::string, std::string> tokens_;  // "<kind>/<token>" -> JobId
  std::deque<std::string> queue_;
  bool shut_down_ = false;

  std::atomic<bool> cancel_{false};
  std::thread worker_;
};

}  // namespace candor::video

#endif  // CANDOR_VIDEO_VIDEO_JOBS_H_
