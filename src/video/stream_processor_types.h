// The values of stream processors (Rekognition's CreateStreamProcessor ...
// DeleteStreamProcessor), shared by the manager, its sessions, its store and
// the protocol layer. See stream_processor.h for what they mean on the wire.
//
// Thread safety: plain values.
#ifndef CANDOR_VIDEO_STREAM_PROCESSOR_TYPES_H_
#define CANDOR_VIDEO_STREAM_PROCESSOR_TYPES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "candor/status.h"

namespace candor::video {

// Rekognition's StreamProcessorStatus. UPDATING is never entered: Candor has
// no UpdateStreamProcessor yet.
enum class StreamProcessorStatus { kStopped, kStarting, kRunning, kFailed, kStopping, kUpdating };
std::string_view StatusName(StreamProcessorStatus status);
// "STOPPED" ... ; nullopt for any other text.
std::optional<StreamProcessorStatus> ParseStatusName(std::string_view name);

// Rekognition's pattern for a stream processor's Name: [a-zA-Z0-9_.\-]+,
// 1 to 128 characters; InvalidArgument otherwise.
Status ValidateStreamProcessorName(const std::string& name);

// What CreateStreamProcessor defines; persisted.
struct StreamProcessorDefinition {
  std::string name;           // Rekognition's pattern [a-zA-Z0-9_.\-]{1,128}
  std::string input_url;      // Input.KinesisVideoStream.Arn: rtsp://, http(s)://, udp://, ...
  std::string output_url;     // Output.KinesisDataStream.Arn: file:///abs/path or http://...
  std::string role_arn;       // RoleArn: stored and echoed, not used
  std::string collection_id;  // Settings.FaceSearch.CollectionId
  float face_match_threshold = 80;  // Settings.FaceSearch.FaceMatchThreshold, as asked
  // Stored and echoed by DescribeStreamProcessor, not acted on (Candor sends
  // no SNS notification, holds no KMS key and shares no data): the JSON
  // objects NotificationChannel and DataSharingPreference as sent ("" when
  // absent), and KmsKeyId.
  std::string notification_channel_json;
  std::string data_sharing_preference_json;
  std::string kms_key_id;
  std::map<std::string, std::string> tags;  // Tags, then TagResource / UntagResource
  // Set by the manager.
  std::string arn;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// Who started a session: its audit record names them, and a session that is
// restarted after the service restarts runs again on their behalf.
struct SessionCaller {
  std::string principal;
  std::string source;
  std::string request_id;
  std::string reason;
};

// What the collection's policy did to a session's search (as
// SearchFacesByImage reports it).
struct SessionPolicy {
  std::string purpose;
  float threshold_requested = 0;
  float threshold_applied = 0;
  int max_matches = 0;
};

// A persisted processor: its definition, the status it was left in, and,
// when a session should be running, who started it.
struct StoredStreamProcessor {
  StreamProcessorDefinition definition;
  // kStopped, kRunning (a session should run: it is restarted when the
  // service starts) or kFailed.
  StreamProcessorStatus status = StreamProcessorStatus::kStopped;
  std::string status_message;
  SessionCaller caller;  // meaningful when status is kRunning
  // The audit record (audit::EventBody) of a session that has not been
  // audited yet, as last checkpointed; "" when none. Non-empty at open: the
  // service died during that session (see StreamProcessorManager::Open).
  std::string open_session;
};

// One session's counters, as DescribeStreamProcessor reports them.
struct SessionStats {
  std::string session_id;
  int64_t started_ms = 0;
  int64_t ended_ms = 0;  // 0 while running
  // "CONNECTING" (the first connection), "STREAMING" (frames arrive),
  // "RECONNECTING" (from a failure until frames arrive again), "ENDED".
  std::string stream_state = "CONNECTING";
  int64_t connections = 0;  // successful connections (frames received)
  int64_t reconnects = 0;   // attempts after the first
  int64_t consecutive_failures = 0;
  std::string last_error;  // the last stream error, "" when none
  int64_t last_error_ms = 0;
  int64_t next_attempt_ms = 0;  // when RECONNECTING
  int64_t frames_read = 0;      // over all connections of the session
  int64_t frames_analysed = 0;
  int64_t frames_dropped = 0;  // skipped because analysis fell behind
  double processing_fps = 0;   // frames analysed per second, last report
  int64_t searches = 0;        // tracks searched
  int64_t face_matches = 0;    // MatchedFaces written
  int64_t events_written = 0;  // records delivered to the sink
  int64_t events_dropped = 0;  // records lost (sink down and its buffer full)
  std::string sink_error;      // the last sink error, "" when none
  SessionPolicy policy;
};

}  // namespace candor::video

#endif  // CANDOR_VIDEO_STREAM_PROCESSOR_TYPES_H_
