// VideoAnalyzer: frames from OpenCV's videoio (FFmpeg back end), faces from
// the engine, tracks from FaceTracker, searches from Collections.
//
// A stored video is read frame by frame and every frame at the analysis rate
// is analysed: nothing is dropped, so the same file always gives the same
// timeline. A live source is read by its own thread into a one-frame slot;
// the analysis takes the newest frame, and a frame replaced before it was
// taken is counted as dropped, so a slow machine falls behind by at most one
// frame instead of building a backlog.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "candor/video.h"
#include "video/face_tracker.h"

namespace candor {
namespace {

using Clock = std::chrono::steady_clock;

// A live source that delivers nothing for this long has stalled.
constexpr int kOpenTimeoutMs = 10000;
constexpr int kReadTimeoutMs = 5000;
// Similarity 99 (false-match rate 1e-5) is the evidence needed to say that a
// face that left a track and came back is the same person.
constexpr float kReviveSimilarity = 99;
// A face joined to a track by overlap must score at least this against the
// track (a false-match rate of about 1e-2), else it is someone else.
constexpr float kSameTrackSimilarity = 30;
// Mean absolute difference (0..255) of 32x18 grey thumbnails of two analysed
// frames above which the second may be a cut (measured on the Hamilton
// clip: cuts 26-30, camera moves up to 28; a false alarm costs only
// embeddings).
constexpr double kSceneChange = 20;

bool IsUrl(const std::string& source) { return source.find("://") != std::string::npos; }

std::string FourCc(double value) {
  const int code = static_cast<int>(value);
  std::string s;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((code >> (8 * i)) & 0xff);
    if (c >= 0x20 && c < 0x7f) s += c;
  }
  return s;
}

Point Ratio(Point p, float w, float h) { return {p.x / w, p.y / h}; }

// Pixels of the frame to ratios, as Rekognition reports video faces.
Face ToRatios(Face face, int width, int height) {
  const float w = static_cast<float>(width), h = static_cast<float>(height);
  face.box = {face.box.left / w, face.box.top / h, face.box.width / w, face.box.height / h};
  for (Point& p : face.landmarks68) p = Ratio(p, w, h);
  FivePoints& f = face.five;
  for (Point* p : {&f.left_eye, &f.right_eye, &f.nose, &f.mouth_left, &f.mouth_right}) {
    *p = Ratio(*p, w, h);
  }
  return face;
}

// The newest frame of a live source, filled by a reader thread.
class LiveReader {
 public:
  explicit LiveReader(cv::VideoCapture* capture) : capture_(capture) {
    thread_ = std::thread([this] { Read(); });
  }
  ~LiveReader() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    thread_.join();
  }
  // The next frame, or false once the source has ended or stalled (or
  // `cancel` was set).
  bool Next(cv::Mat* frame, const std::atomic<bool>* cancel, VideoProgress* progress) {
    std::unique_lock lock(mu_);
    while (!fresh_ && !ended_) {
      if (cancel != nullptr && cancel->load()) return false;
      ready_.wait_for(lock, std::chrono::milliseconds(100));
    }
    progress->frames_read = read_;
    progress->frames_dropped = dropped_;
    if (!fresh_) return false;
    cv::swap(*frame, latest_);
    fresh_ = false;
    return true;
  }

 private:
  void Read() {
    for (;;) {
      cv::Mat frame;
      const bool ok = capture_->read(frame) && !frame.empty();
      std::lock_guard lock(mu_);
      if (!ok || stop_) {
        ended_ = true;
        ready_.notify_all();
        return;
      }
      ++read_;
      if (fresh_) ++dropped_;
      latest_ = std::move(frame);
      fresh_ = true;
      ready_.notify_all();
    }
  }

  cv::VideoCapture* capture_;
  std::mutex mu_;
  std::condition_variable ready_;
  cv::Mat latest_;       // guarded by mu_
  bool fresh_ = false;   // guarded by mu_: latest_ not yet taken
  bool ended_ = false;   // guarded by mu_
  bool stop_ = false;    // guarded by mu_
  int64_t read_ = 0;     // guarded by mu_
  int64_t dropped_ = 0;  // guarded by mu_
  std::thread thread_;   // last: starts once the members above exist
};

class VideoAnalyzerImpl final : public VideoAnalyzer {
 public:
  VideoAnalyzerImpl(Engine* engine, Collections* collections, VideoOptions options)
      : engine_(engine), collections_(collections), options_(std::move(options)) {}

  StatusOr<VideoSummary> Run(const std::string& source, const VideoObserver& observer,
                             const std::atomic<bool>* cancel) override {
    const bool url = IsUrl(source);
    if (!url) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(source, ec)) {
        return Status::InvalidArgument("no video file at " + source);
      }
    }
    cv::VideoCapture capture;
    const std::vector<int> params = {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, kOpenTimeoutMs,
                                     cv::CAP_PROP_READ_TIMEOUT_MSEC, kReadTimeoutMs};
    if (!capture.open(source, cv::CAP_FFMPEG, params) || !capture.isOpened()) {
      return options_.live ? Status::IOError("cannot open the stream " + source)
                           : Status::InvalidArgument("cannot open or decode the video " + source);
    }
    VideoSummary summary;
    VideoMetadata& meta = summary.metadata;
    meta.codec = FourCc(capture.get(cv::CAP_PROP_FOURCC));
    meta.format = url ? source.substr(0, source.find("://"))
                      : std::filesystem::path(source).extension().string();
    if (!meta.format.empty() && meta.format[0] == '.') meta.format.erase(0, 1);
    meta.frame_rate = capture.get(cv::CAP_PROP_FPS);
    meta.frame_width = static_cast<int>(capture.get(cv::CAP_PROP_FRAME_WIDTH));
    meta.frame_height = static_cast<int>(capture.get(cv::CAP_PROP_FRAME_HEIGHT));
    const double frames = capture.get(cv::CAP_PROP_FRAME_COUNT);
    if (!options_.live && meta.frame_rate > 0 && frames > 0) {
      meta.duration_ms = static_cast<int64_t>(frames * 1000.0 / meta.frame_rate);
    }
    if (meta.frame_width < 1 || meta.frame_height < 1) {
      return Status::InvalidArgument("the video " + source + " has no decodable picture");
    }

    const Calibration& calibration = engine_->calibration();
    video::FaceTracker tracker(calibration.CosineForSimilarity(kReviveSimilarity),
                               calibration.CosineForSimilarity(kSameTrackSimilarity));
    VideoProgress& progress = summary.progress;
    progress.duration_ms = meta.duration_ms;
    std::unique_ptr<LiveReader> live;
    if (options_.live) live = std::make_unique<LiveReader>(&capture);
    const auto start = Clock::now();
    auto last_report = start;
    int64_t next_analysis_ms = 0;
    const double step_ms = options_.analysis_fps > 0 ? 1000.0 / options_.analysis_fps : 0;
    cv::Mat frame;
    int64_t index = -1;
    for (;;) {
      if (cancel != nullptr && cancel->load()) break;
      if (live) {
        if (!live->Next(&frame, cancel, &progress)) break;
        index = progress.frames_read - 1;
      } else {
        if (!capture.read(frame) || frame.empty()) break;
        progress.frames_read = ++index + 1;
      }
      const int64_t ts = live || meta.frame_rate <= 0
                             ? static_cast<int64_t>(std::chrono::duration<double, std::milli>(
                                                        Clock::now() - start)
                                                        .count())
                             : static_cast<int64_t>(index * 1000.0 / meta.frame_rate);
      progress.position_ms = ts;
      if (ts >= next_analysis_ms) {
        next_analysis_ms = static_cast<int64_t>(ts + step_ms);
        if (!frame.isContinuous()) frame = frame.clone();
        CANDOR_RETURN_IF_ERROR(Analyse(frame, index, ts, &tracker, observer, &progress));
      }
      const auto now = Clock::now();
      if (observer.on_progress && now - last_report >= std::chrono::seconds(1)) {
        last_report = now;
        progress.analysis_fps = Rate(progress.frames_analysed, start, now);
        observer.on_progress(progress);
      }
    }
    progress.analysis_fps = Rate(progress.frames_analysed, start, Clock::now());
    progress.tracks = tracker.tracks();
    if (observer.on_progress) observer.on_progress(progress);
    if (live && !(cancel != nullptr && cancel->load())) {
      return Status::IOError("the stream " + source + " ended or stalled after " +
                             std::to_string(progress.frames_read) + " frames");
    }
    return summary;
  }

 private:
  static double Rate(int64_t n, Clock::time_point a, Clock::time_point b) {
    const double s = std::chrono::duration<double>(b - a).count();
    return s > 0 ? n / s : 0;
  }

  Status Analyse(const cv::Mat& pixels, int64_t index, int64_t ts, video::FaceTracker* tracker,
                 const VideoObserver& observer, VideoProgress* progress) {
    const Frame frame{pixels.data, pixels.cols, pixels.rows, pixels.step[0]};
    CANDOR_ASSIGN_OR_RETURN(std::vector<Face> faces,
                            engine_->DetectFacesInFrame(frame, options_.attributes));
    ++progress->frames_analysed;
    cv::Mat thumbnail;
    cv::resize(pixels, thumbnail, cv::Size(32, 18), 0, 0, cv::INTER_AREA);
    cv::cvtColor(thumbnail, thumbnail, cv::COLOR_BGR2GRAY);
    const bool scene_change =
        !last_thumbnail_.empty() && cv::norm(thumbnail, last_thumbnail_, cv::NORM_L1) /
                                            thumbnail.total() >= kSceneChange;
    last_thumbnail_ = thumbnail;
    const std::vector<video::FaceTracker::Assignment> assigned =
        tracker->Assign(faces, ts, scene_change);
    for (size_t i = 0; i < faces.size(); ++i) {
      int64_t track = assigned[i].track_index;
      bool search = false;
      std::vector<float> embedding;
      if (assigned[i].embed) {
        CANDOR_ASSIGN_OR_RETURN(embedding, engine_->EmbedFaceInFrame(frame, faces[i]));
        if (track >= 0 && assigned[i].verify && !tracker->Verify(track, embedding)) {
          const auto split = tracker->Split(track, faces[i], embedding, ts);
          track = split.track_index;
          search = split.search;
        } else if (track < 0) {
          const auto resolved = tracker->Resolve(faces[i], embedding, ts);
          track = resolved.track_index;
          search = resolved.search;
        } else {
          search = tracker->Embedded(track, faces[i], embedding, ts);
        }
      }
      const Face face = ToRatios(faces[i], pixels.cols, pixels.rows);
      if (observer.on_face) observer.on_face({ts, index, track, face});
      if (search && !options_.collection_id.empty()) {
        CANDOR_RETURN_IF_ERROR(
            SearchTrack(ts, track, face, tracker->Template(track), observer, progress));
      }
    }
    progress->tracks = tracker->tracks();
    return Status::Ok();
  }

  Status SearchTrack(int64_t ts, int64_t track, const Face& face,
                     const std::vector<float>& embedding, const VideoObserver& observer,
                     VideoProgress* progress) {
    SearchRequest request;
    request.collection_id = options_.collection_id;
    request.face_match_threshold = options_.face_match_threshold;
    request.max_faces = options_.max_matches;
    CANDOR_ASSIGN_OR_RETURN(SearchFacesResult found,
                            collections_->SearchFacesByEmbedding(request, embedding));
    ++progress->searches;
    if (observer.on_match) {
      observer.on_match({ts, track, face, std::move(found.matches), found.faces_searched,
                         found.expected_false_matches, std::move(found.calibration_version),
                         found.collection_false_match_rate});
    }
    return Status::Ok();
  }

  Engine* engine_;
  Collections* collections_;
  const VideoOptions options_;
  cv::Mat last_thumbnail_;  // of the last frame analysed
};

}  // namespace

StatusOr<std::unique_ptr<VideoAnalyzer>> VideoAnalyzer::Create(Engine* engine,
                                                               Collections* collections,
                                                               const VideoOptions& options) {
  if (engine == nullptr) return Status::InvalidArgument("VideoAnalyzer needs an engine");
  if (!(options.face_match_threshold >= 0 && options.face_match_threshold <= 100)) {
    return Status::InvalidArgument("FaceMatchThreshold must be between 0 and 100");
  }
  if (options.max_matches < 1 || options.max_matches > 4096) {
    return Status::InvalidArgument("MaxFaces must be between 1 and 4096");
  }
  if (!(options.analysis_fps >= 0 && options.analysis_fps <= 1000)) {
    return Status::InvalidArgument("the analysis rate must be between 0 and 1000 frames/s");
  }
  if (!options.collection_id.empty()) {
    if (collections == nullptr) {
      return Status::InvalidArgument("a face search needs the collections");
    }
    CANDOR_RETURN_IF_ERROR(collections->DescribeCollection(options.collection_id, false).status());
  }
  return std::unique_ptr<VideoAnalyzer>(new VideoAnalyzerImpl(engine, collections, options));
}

}  // namespace candor
