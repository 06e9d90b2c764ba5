// candor video FILE [--collection C]: faces in a stored video, as a timeline.
//
// Without --collection the faces are detected and tracked only (like
// `candor detect`, nothing is read from or written to a data directory).
// With it, each track is searched in the collection of the local data
// directory (see cli/local_service.h) under the collection's policy: the
// threshold is raised to its floor (or the search refused), a reason is
// required where the policy says so, and one audit record of operation
// "Candor.SearchVideo" holds every match the video produced, with the time
// and track of each. The record is written before the timeline is printed;
// if it cannot be, nothing is printed.
#include <cstdio>
#include <map>
#include <memory>

#include "audit/audit_log.h"
#include "candor/video.h"
#include "cli/commands.h"
#include "cli/local_service.h"
#include "policy/search_policy.h"
#include "core/progress.h"
#include "server/wire.h"

namespace candor::cli {
namespace {

using nlohmann::json;

struct VideoArgs {
  std::string path;
  std::string collection;
  std::string data_dir;
  std::string audit_key;
  std::string reason;
  float face_match_threshold = 80;
  double analysis_fps = 5;
  bool json_out = false;
};

// What one track did over the video.
struct TrackSummary {
  int64_t first_ms = -1, last_ms = 0, faces = 0;
  float best_similarity = 0;
  std::string best_face_id, best_external_id;
};

json BoxJson(const BoundingBox& b) {
  return {{"Left", b.left}, {"Top", b.top}, {"Width", b.width}, {"Height", b.height}};
}

int RunVideo(const GlobalOptions& global, const VideoArgs& args) {
  std::unique_ptr<LocalService> service;
  VideoOptions options;
  options.analysis_fps = args.analysis_fps;
  options.face_match_threshold = args.face_match_threshold;
  audit::AuditEvent event;
  if (!args.collection.empty()) {
    auto opened = LocalService::Open(
        global, {LocalDataDir(args.data_dir), args.audit_key, args.reason}, true);
    if (!opened.ok()) return Fail(opened.status());
    service = std::move(*opened);
    auto policy = service->collections().GetCollectionPolicy(args.collection);
    if (!policy.ok()) return Fail(policy.status());
    event.principal = service->principal();
    event.source = "cli";
    event.request_id = server::NewRequestId();
    event.operation = "Candor.SearchVideo";
    event.reason = args.reason;
    event.collection_id = args.collection;
    event.purpose = policy->purpose;
    event.threshold_requested = args.face_match_threshold;
    auto applied = policy::ApplySearchPolicy(*policy, args.collection,
                                             args.face_match_threshold, options.max_matches,
                                             args.reason, "give --reason (a case reference)");
    if (applied.ok()) {
      options.face_match_threshold = applied->threshold;
      options.max_matches = applied->max_results;
      event.threshold_applied = applied->threshold;
      event.max_faces = applied->max_results;
    }
    const Status refused = applied.status();
    options.collection_id = args.collection;
    if (!refused.ok()) {
      // A refusal is recorded too.
      event.outcome = std::string(ErrorTypeName(refused.code()));
      event.results = {{"Video", args.path}, {"Message", refused.message()}};
      Status recorded = service->audit()->Append(event);
      return Fail(recorded.ok() ? refused : recorded);
    }
  }
  std::unique_ptr<Engine> own_engine;
  Engine* engine = nullptr;
  if (service) {
    engine = &service->engine();
  } else {
    auto made = MakeEngine(global);
    if (!made.ok()) return Fail(made.status());
    own_engine = std::move(*made);
    engine = own_engine.get();
  }
  auto analyzer =
      VideoAnalyzer::Create(engine, service ? &service->collections() : nullptr, options);
  if (!analyzer.ok()) return Fail(analyzer.status());

  std::map<int64_t, TrackSummary> tracks;
  json matches_audit = json::array();
  json persons = json::array();
  std::string calibration_version;
  std::unique_ptr<core::Progress> progress;
  int64_t shown_ms = 0;
  VideoObserver observer;
  observer.on_face = [&](const VideoFace& f) {
    TrackSummary& t = tracks[f.track_index];
    if (t.first_ms < 0) t.first_ms = f.timestamp_ms;
    t.last_ms = f.timestamp_ms;
    ++t.faces;
    persons.push_back({{"Timestamp", f.timestamp_ms},
                       {"Person", {{"Index", f.track_index}, {"BoundingBox", BoxJson(f.face.box)},
                                   {"Confidence", f.face.confidence}}}});
  };
  observer.on_match = [&](const VideoTrackMatch& m) {
    json face_matches = json::array();
    for (const SearchMatch& s : m.matches) {
      face_matches.push_back({{"FaceId", s.face.face_id}, {"Similarity", s.similarity}});
      TrackSummary& t = tracks[m.track_index];
      if (s.similarity > t.best_similarity) {
        t.best_similarity = s.similarity;
        t.best_face_id = s.face.face_id;
        t.best_external_id = s.face.external_image_id;
      }
    }
    matches_audit.push_back({{"Timestamp", m.timestamp_ms},
                             {"PersonIndex", m.track_index},
                             {"FaceMatches", face_matches}});
    event.faces_searched = m.faces_searched;
    calibration_version = m.calibration_version;
  };
  // The progress bar counts milliseconds of video.
  observer.on_progress = [&](const VideoProgress& p) {
    if (!progress) {
      progress = std::make_unique<core::Progress>("video ms", static_cast<size_t>(p.duration_ms));
    }
    progress->Advance(static_cast<size_t>(std::max<int64_t>(0, p.position_ms - shown_ms)));
    shown_ms = std::max(shown_ms, p.position_ms);
  };
  auto summary = (*analyzer)->Run(args.path, observer);
  if (progress) progress->Finish();
  if (service) {
    event.outcome = summary.ok() ? "ok" : std::string(ErrorTypeName(summary.status().code()));
    event.results = {{"Video", args.path}, {"Matches", matches_audit}};
    // Which calibration made the similarities (none when nothing was searched).
    if (!calibration_version.empty()) event.results["CalibrationVersion"] = calibration_version;
    Status recorded = service->audit()->Append(event);
    if (!recorded.ok()) {
      return Fail(Status::Internal("the audit log could not record this search: " +
                                   recorded.message()));
    }
  }
  if (!summary.ok()) return Fail(summary.status());

  const VideoMetadata& meta = summary->metadata;
  const VideoProgress& p = summary->progress;
  if (args.json_out) {
    json out = {{"VideoMetadata",
                 {{"Codec", meta.codec},
                  {"Format", meta.format},
                  {"DurationMillis", meta.duration_ms},
                  {"FrameRate", meta.frame_rate},
                  {"FrameWidth", meta.frame_width},
                  {"FrameHeight", meta.frame_height}}},
                {"Persons", persons}};
    if (service) out["FaceSearches"] = matches_audit;
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%s: %s %dx%d, %.2f fps, %.1f s; %lld frames read, %lld analysed (%.1f/s)\n",
              args.path.c_str(), meta.codec.c_str(), meta.frame_width, meta.frame_height,
              meta.frame_rate, meta.duration_ms / 1000.0, static_cast<long long>(p.frames_read),
              static_cast<long long>(p.frames_analysed), p.analysis_fps);
  std::printf("%-6s %10s %10s %6s  %s\n", "person", "first s", "last s", "faces",
              service ? "best match (Similarity)" : "");
  for (const auto& [index, t] : tracks) {
    std::string match;
    if (service) {
      match = t.best_face_id.empty()
                  ? "nobody above " + std::to_string(static_cast<int>(options.face_match_threshold))
                  : (t.best_external_id.empty() ? t.best_face_id : t.best_external_id) + " (" +
                        std::to_string(t.best_similarity).substr(0, 5) + ")";
    }
    std::printf("%-6lld %10.2f %10.2f %6lld  %s\n", static_cast<long long>(index),
                t.first_ms / 1000.0, t.last_ms / 1000.0, static_cast<long long>(t.faces),
                match.c_str());
  }
  return 0;
}

}  // namespace

void RegisterVideo(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<VideoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "video", "faces in a stored video: detect and track, and with --collection search each track");
  cmd->add_option("file", args->path, "video file (any format FFmpeg decodes)")->required();
  cmd->add_option("--collection", args->collection, "search each track in this collection");
  cmd->add_option("--data-dir", args->data_dir, "data directory (default $CANDOR_DATA_DIR or ./candor-data)");
  cmd->add_option("--audit-key", args->audit_key, "audit signing key (default <data-dir>/audit-signing.key)");
  cmd->add_option("--reason", args->reason, "why this search is made (a case reference)");
  cmd->add_option("--face-match-threshold", args->face_match_threshold,
                  "Similarity percent (raised to the collection's floor)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--analysis-fps", args->analysis_fps, "frames analysed per second of video (0: all)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_flag("--json", args->json_out, "print Rekognition-shaped JSON instead of the timeline");
  cmd->callback([&global, args, exit_code] { *exit_code = RunVideo(global, *args); });
}

}  // namespace candor::cli
