// Persistence of the asynchronous stored-video jobs (StartFaceDetection,
// StartFaceSearch): their own SQLite file (<data-dir>/video_jobs.db, WAL,
// synchronous=FULL), apart from the face store. Each row holds the request,
// the caller, the policy applied, the status and, once the job has ended,
// its results as JSON (Rekognition's Faces[] or Persons[] entries: boxes and
// attributes, never vectors or images) and, for a face search, what its
// similarities mean (VideoSearchCalibration).
//
// Format 2 added that last column; a format-1 file is upgraded when opened
// (its jobs get an empty VideoSearchCalibration).
//
// A file that is not empty and not a Candor video-jobs file (another SQLite
// database, a newer format, not SQLite at all) is refused with Corruption or
// Unsupported and left unchanged.
//
// Thread safety: all methods may be called concurrently (one mutex).
#ifndef CANDOR_VIDEO_VIDEO_JOB_STORE_H_
#define CANDOR_VIDEO_VIDEO_JOB_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "candor/status.h"
#include "candor/types.h"
#include "candor/video.h"
#include "store/pg_video_jobs.h"
#include "video/stream_processor_types.h"

namespace candor::store {
class SqliteDb;
}

namespace candor::video {

enum class VideoJobKind { kFaceDetection, kFaceSearch };
enum class VideoJobStatus { kInProgress, kSucceeded, kFailed };

std::string_view VideoJobKindName(VideoJobKind kind);        // "FaceDetection", "FaceSearch"
std::string_view VideoJobStatusName(VideoJobStatus status);  // "IN_PROGRESS", ...
std::optional<VideoJobKind> ParseVideoJobKind(std::string_view name);
std::optional<VideoJobStatus> ParseVideoJobStatus(std::string_view name);

// A Start* request, as parsed (protocol/video_requests.h).
struct VideoJobRequest {
  VideoJobKind kind = VideoJobKind::kFaceDetection;
  // Video.S3Object as sent, and the local file it resolved to.
  std::string bucket, name, version;
  std::string video_path;
  std::string client_request_token;  // empty: none
  std::string job_tag;
  AttributeSet attributes = AttributeSet::kDefault;  // FaceDetection's FaceAttributes
  std::string collection_id;                         // FaceSearch only
  float face_match_threshold = 80;                   // FaceSearch: as requested, percent

  // What ClientRequestToken idempotency compares: every parameter but the
  // token (and the resolved path, which follows from bucket and name).
  nlohmann::json Parameters() const;
};

// A face search job's similarities: the calibration that made them, and the
// false-match rate at the applied threshold measured on the collection's own
// gallery, as the job's last search saw it. Empty until the job ends, and
// when it searched nothing.
struct VideoSearchCalibration {
  std::string calibration_version;
  std::optional<double> collection_false_match_rate;
};

struct StoredVideoJob {
  std::string job_id;
  VideoJobRequest request;
  SessionCaller caller;
  SessionPolicy policy;  // FaceSearch: the collection's policy as applied at Start
  VideoJobStatus status = VideoJobStatus::kInProgress;
  std::string status_message;
  int64_t created_ms = 0;
  int64_t completed_ms = 0;  // 0 while IN_PROGRESS
  VideoMetadata metadata;    // once the job has ended
  // Faces[] (FaceDetection) or Persons[] (FaceSearch) entries, in timestamp
  // order; an empty array until SUCCEEDED.
  nlohmann::json results = nlohmann::json::array();
  VideoSearchCalibration search;  // FaceSearch, once ended
};

// A job as a cluster's database row holds it (store/pg_video_jobs.h): the
// same JSON texts as the SQLite file's columns; and back, Corruption naming
// `where` for a row that does not read as a job.
store::VideoJobRow EncodeVideoJob(const StoredVideoJob& job);
StatusOr<StoredVideoJob> DecodeVideoJob(const store::VideoJobRow& row, const std::string& where);

class VideoJobStore {
 public:
  static StatusOr<std::unique_ptr<VideoJobStore>> Open(const std::string& path);
  ~VideoJobStore();

  // AlreadyExists when the JobId is taken.
  Status Insert(const StoredVideoJob& job);
  // Records the end of a job: its status, message, metadata and results.
  // NotFound when there is no such job.
  Status Complete(const StoredVideoJob& job);
  // Every job, oldest first.
  StatusOr<std::vector<StoredVideoJob>> LoadAll();

 private:
  explicit VideoJobStore(std::unique_ptr<store::SqliteDb> db);

  std::mutex mutex_;
  std::unique_ptr<store::SqliteDb> db_;
};

}  // namespace candor::video

#endif  // CANDOR_VIDEO_VIDEO_JOB_STORE_H_
