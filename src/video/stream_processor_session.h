// One session of a stream processor, from StartStreamProcessor to its end: a
// thread that reads the live stream through a VideoAnalyzer (options.live:
// frames are skipped when analysis falls behind, never queued), writes one
// face-search record per searched track to the sink, and, when the stream
// stalls, drops or ends, reconnects with exponential backoff (reported in
// its snapshot, never a silent stop).
//
// Which errors are retried: IOError (stall, drop), InvalidArgument (the
// source cannot be opened: for a live URL, usually not up yet) and a stream
// that ends. Anything else (the collection deleted, the policy refusing,
// an internal error), or more consecutive failures than
// SessionOptions::max_consecutive_failures, ends the session as FAILED.
//
// Audit: when the session ends, for whatever reason, one record
// (operation "StreamProcessorSession") is appended with the caller who
// started it, the policy applied, and every FaceId it matched (with the best
// similarity, the count and the first stream position; at most
// kMaxAuditedFaceIds distinct FaceIds, then FaceMatchesTruncated). So that a
// crash cannot lose it, the record as it stands is checkpointed (through
// the CheckpointCallback, into the processor's store) when the session
// starts, whenever a new FaceId is matched and at most every
// kCheckpointSeconds otherwise; it is cleared once the final record is in the
// audit log (and kept, to be appended later, if the audit log refused it).
//
// Records (one JSON line each), shaped as Rekognition's Kinesis face-search
// records:
//   {"InputInformation": {"KinesisVideo": {"StreamArn": <input URL>,
//      "FragmentNumber": "<SessionId>-<n>", "ServerTimestamp": <s>,
//      "ProducerTimestamp": <s>, "FrameOffsetInSeconds": <stream position>}},
//    "StreamProcessorInformation": {"Status": "RUNNING", "Name", "SessionId"},
//    "FaceSearchResponse": [{"DetectedFace": {"BoundingBox", "Confidence",
//        "Pose", "Quality"}, "MatchedFaces": [{"Similarity", "Face":
//        {"BoundingBox", "FaceId", "ImageId", "ExternalImageId",
//         "Confidence"}}]}],
//    "CandorTrackIndex": <track>, "CandorFacesSearched": <n>,
//    "CandorCalibrationVersion": <the calibration that made the similarities>,
//    "CandorCollectionFalseMatchRate": <the rate at the threshold measured on
//        the collection's gallery; absent when it holds no pair>}
// A searched track with no match above the threshold gives MatchedFaces [].
// The audit record names the calibration too (CalibrationVersion).
//
// Thread safety: all public methods may be called from any thread.
#ifndef CANDOR_VIDEO_STREAM_PROCESSOR_SESSION_H_
#define CANDOR_VIDEO_STREAM_PROCESSOR_SESSION_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "candor/video.h"
#include "video/stream_processor_sink.h"
#include "video/stream_processor_types.h"

namespace candor::video {

// Makes the analyzer of one connection (VideoAnalyzer::Create with the
// service's engine and collections; a fake in tests).
using AnalyzerFactory =
    std::function<StatusOr<std::unique_ptr<VideoAnalyzer>>(const VideoOptions& options)>;

struct SessionOptions {
  int64_t reconnect_initial_ms = 500;  // first backoff; doubles per failure
  int64_t reconnect_max_ms = 30000;    // backoff ceiling
  // Connection attempts in a row without a frame before the session FAILS;
  // 0: retry for ever.
  int max_consecutive_failures = 0;
  // Records kept while the sink is down; beyond it the oldest are dropped
  // (counted in events_dropped).
  size_t max_pending_events = 10000;
  std::string file_sink_root;  // see stream_processor_sink.h
};

enum class SessionEnd { kStopped, kShutdown, kFailed };

inline constexpr size_t kMaxAuditedFaceIds = 1000;
inline constexpr int64_t kCheckpointSeconds = 10;

class StreamSession {
 public:
  // Called once on the session's thread when it has ended and been audited;
  // `error` is Ok unless it FAILED.
  using EndCallback = std::function<void(SessionEnd end, const Status& error)>;
  // The audit record so far (audit::EventBody, EndedBy "ServiceCrash"), or ""
  // once it is in the audit log. On the session's thread.
  using CheckpointCallback = std::function<void(const std::string& event_json)>;

  StreamSession(StreamProcessorDefinition definition, SessionCaller caller, SessionPolicy policy,
                std::string session_id, AnalyzerFactory factory, audit::AuditLog* audit,
                SessionOptions options, EndCallback on_end,
                CheckpointCallback on_checkpoint = nullptr);
  // Stops (as kShutdown unless already asked) and joins.
  ~StreamSession();
  StreamSession(const StreamSession&) = delete;
  StreamSession& operator=(const StreamSession&) = delete;

  void Start();
  // Asks the thread to end; the first reason given wins. Returns at once.
  void RequestStop(SessionEnd why);
  // True once the thread has finished (audited, on_end called).
  bool finished() const { return finished_.load(); }
  void Join();

  struct Snapshot {
    StreamProcessorStatus status = StreamProcessorStatus::kStarting;
    std::string message;
    SessionStats stats;
  };
  Snapshot snapshot() const;

 private:
  struct MatchSummary {
    float best_similarity = 0;
    int64_t count = 0;
    int64_t first_position_ms = 0;
  };

  void Run();
  // One connection: returns what Run of the analyzer returned.
  Status Connect();
  void MarkStreaming();
  void OnProgress(const VideoProgress& p);
  void OnMatch(const VideoTrackMatch& m);
  // Writes the pending records; on failure keeps them (up to the cap).
  void Flush(bool force);
  void Finish(SessionEnd end, const Status& error);
  // Ok, or why the audit log refused the record.
  Status AppendAudit(SessionEnd end, const Status& error);
  audit::AuditEvent AuditRecord(std::string_view ended_by, const Status& error);
  void Checkpoint(bool force);

  const StreamProcessorDefinition definition_;
  const SessionCaller caller_;
  const AnalyzerFactory factory_;
  audit::AuditLog* const audit_;
  const SessionOptions options_;
  const EndCallback on_end_;
  const CheckpointCallback on_checkpoint_;

  std::atomic<bool> cancel_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;

  // Owned by the session thread.
  std::unique_ptr<EventSink> sink_;
  std::vector<std::string> pending_;
  int64_t last_flush_failure_ms_ = 0;
  int64_t record_seq_ = 0;
  bool streaming_this_connection_ = false;
  VideoProgress base_;  // totals of the earlier connections
  int64_t faces_searched_ = 0;
  std::map<std::string, MatchSummary> matched_;
  std::string calibration_version_;  // of the searches' similarities; "" before the first
  bool matched_truncated_ = false;
  int64_t last_checkpoint_ms_ = 0;
  bool checkpoint_due_ = false;

  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  StreamProcessorStatus status_ = StreamProcessorStatus::kStarting;
  std::string message_;
  SessionStats stats_;
  std::optional<SessionEnd> end_requested_;
};

}  // namespace candor::video

#endif  // CANDOR_VIDEO_STREAM_PROCESSOR_SESSION_H_
