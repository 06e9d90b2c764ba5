// Faces in video: decode (OpenCV's videoio with FFmpeg), detect, track, and
// search each track once with its best face (again when a clearly better
// face appears). Used by `candor video`, by the asynchronous video jobs
// (StartFaceDetection / StartFaceSearch) and by stream processors.
//
// A VideoAnalyzer is NOT safe for concurrent use: one per video or stream.
// The Engine and Collections it uses are, so many analyzers may share them.
#ifndef CANDOR_VIDEO_H_
#define CANDOR_VIDEO_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "candor/collections.h"
#include "candor/engine.h"
#include "candor/status.h"
#include "candor/types.h"

namespace candor {

// What FFmpeg says about the video (Rekognition's VideoMetadata).
struct VideoMetadata {
  std::string codec;
  std::string format;
  int64_t duration_ms = 0;  // 0 for a live stream
  double frame_rate = 0;
  int frame_width = 0;
  int frame_height = 0;
};

struct VideoOptions {
  // Empty: detection and tracking only (StartFaceDetection). Else every
  // track is searched in this collection (StartFaceSearch).
  std::string collection_id;
  float face_match_threshold = 80;  // percent, after the policy floor was applied
  int max_matches = 10;             // FaceMatches per search
  // Frames analysed per second of video (the others are decoded and
  // skipped: faces move little in 200 ms, and tracks bridge the gap);
  // 0: every frame.
  double analysis_fps = 5;
  // A live source: when analysis falls behind, frames are dropped (counted
  // in VideoProgress) instead of queued.
  bool live = false;
  // Rekognition's FaceAttributes for the detection results.
  AttributeSet attributes = AttributeSet::kDefault;
};

// One face seen at one analysed frame (GetFaceDetection's Faces[]).
struct VideoFace {
  int64_t timestamp_ms = 0;
  int64_t frame_index = 0;
  int64_t track_index = 0;  // Rekognition's Person.Index: one per track
  Face face;                // box in ratios of the frame
};

// A search of one track (GetFaceSearch's Persons[] entries carry it at each
// timestamp where the track is seen).
struct VideoTrackMatch {
  int64_t timestamp_ms = 0;  // of the face that was searched
  int64_t track_index = 0;
  Face face;
  std::vector<SearchMatch> matches;  // best first; empty: nobody above the threshold
  int64_t faces_searched = 0;
  double expected_false_matches = 0;
  // As in SearchFacesResult: the calibration that made the similarities, and
  // the false-match rate at the threshold measured on the collection.
  std::string calibration_version;
  std::optional<double> collection_false_match_rate;
};

struct VideoProgress {
  int64_t frames_read = 0;
  int64_t frames_analysed = 0;
  int64_t frames_dropped = 0;  // live only: skipped because analysis fell behind
  int64_t position_ms = 0;
  int64_t duration_ms = 0;     // of a stored video; 0 for a live source
  double analysis_fps = 0;     // frames analysed per second of wall time
  int64_t tracks = 0;
  int64_t searches = 0;
};

// Callbacks run on the analyzer's thread, in timestamp order.
struct VideoObserver {
  std::function<void(const VideoFace&)> on_face;
  std::function<void(const VideoTrackMatch&)> on_match;
  std::function<void(const VideoProgress&)> on_progress;  // about once a second
};

struct VideoSummary {
  VideoMetadata metadata;
  VideoProgress progress;
};

class VideoAnalyzer {
 public:
  // `engine` and `collections` (may be null when no collection is searched)
  // must outlive the analyzer.
  static StatusOr<std::unique_ptr<VideoAnalyzer>> Create(Engine* engine, Collections* collections,
                                                         const VideoOptions& options);
  virtual ~VideoAnalyzer() = default;

  // Opens `source` (a file path, or an rtsp://, http://, udp:// URL) and
  // analyses it to its end, or until `*cancel` becomes true. A source that
  // cannot be opened or decoded: InvalidArgument (Rekognition's
  // InvalidParameterException / VideoTooLargeException are mapped by the
  // caller). A live source whose reading stops (it stalled, dropped or ended:
  // FFmpeg cannot tell these apart on UDP) returns IOError, and the caller
  // reconnects with backoff; a stored video returns its summary at its end.
  // Boxes and landmarks of the faces reported are ratios of the frame.
  virtual StatusOr<VideoSummary> Run(const std::string& source, const VideoObserver& observer,
                                     const std::atomic<bool>* cancel = nullptr) = 0;
};

}  // namespace candor

#endif  // CANDOR_VIDEO_H_
