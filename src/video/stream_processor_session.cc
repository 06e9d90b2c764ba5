#include "video/stream_processor_session.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "audit/audit_event.h"
#include "protocol/collections_json.h"

namespace candor::video {
namespace {

using nlohmann::json;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Retried with backoff; anything else ends the session as FAILED.
bool Transient(const Status& s) {
  return s.code() == StatusCode::kIOError || s.code() == StatusCode::kInvalidArgument;
}

std::string_view EndName(SessionEnd end) {
  switch (end) {
    case SessionEnd::kStopped:
      return "StopStreamProcessor";
    case SessionEnd::kShutdown:
      return "ServiceShutdown";
    case SessionEnd::kFailed:
      return "Failure";
  }
  return "?";
}

json BoxJson(const BoundingBox& b) {
  return {{"Width", b.width}, {"Height", b.height}, {"Left", b.left}, {"Top", b.top}};
}

}  // namespace

StreamSession::StreamSession(StreamProcessorDefinition definition, SessionCaller caller,
                             SessionPolicy policy, std::string session_id, AnalyzerFactory factory,
                             audit::AuditLog* audit, SessionOptions options, EndCallback on_end,
                             CheckpointCallback on_checkpoint)
    : definition_(std::move(definition)),
      caller_(std::move(caller)),
      factory_(std::move(factory)),
      audit_(audit),
      options_(std::move(options)),
      on_end_(std::move(on_end)),
      on_checkpoint_(std::move(on_checkpoint)) {
  stats_.session_id = std::move(session_id);
  stats_.policy = policy;
  stats_.started_ms = NowMs();
  message_ = "connecting to " + definition_.input_url;
}

StreamSession::~StreamSession() {
  RequestStop(SessionEnd::kShutdown);
  Join();
}

void StreamSession::Start() {
  thread_ = std::thread([this] { Run(); });
}

void StreamSession::RequestStop(SessionEnd why) {
  std::lock_guard lock(mutex_);
  if (!end_requested_) end_requested_ = why;
  cancel_ = true;
  // Finish sets the final status under this lock: only a live status changes.
  if (status_ == StreamProcessorStatus::kStarting || status_ == StreamProcessorStatus::kRunning) {
    status_ = StreamProcessorStatus::kStopping;
    message_ = "stopping";
  }
  wake_.notify_all();
}

void StreamSession::Join() {
  if (thread_.joinable()) thread_.join();
}

StreamSession::Snapshot StreamSession::snapshot() const {
  std::lock_guard lock(mutex_);
  return {status_, message_, stats_};
}

void StreamSession::Run() {
  Checkpoint(true);
  auto sink = OpenSink(definition_.output_url, options_.file_sink_root);
  if (!sink.ok()) {
    Finish(SessionEnd::kFailed, sink.status());
    return;
  }
  sink_ = std::move(sink).value();
  int64_t consecutive_failures = 0;
  while (!cancel_) {
    {
      std::lock_guard lock(mutex_);
      if (stats_.connections > 0 || consecutive_failures > 0) {
        ++stats_.reconnects;
        stats_.next_attempt_ms = 0;
        if (status_ != StreamProcessorStatus::kStopping) {
          message_ = "reconnecting to " + definition_.input_url + ": attempt " +
                     std::to_string(consecutive_failures + 1) +
                     " in a row in progress; last error: " + stats_.last_error;
        }
      }
    }
    streaming_this_connection_ = false;
    const Status result = Connect();
    Flush(true);
    if (cancel_) break;
    if (!Transient(result)) {
      Finish(SessionEnd::kFailed, result);
      return;
    }
    consecutive_failures = streaming_this_connection_ ? 1 : consecutive_failures + 1;
    if (options_.max_consecutive_failures > 0 &&
        consecutive_failures > options_.max_consecutive_failures) {
      Finish(SessionEnd::kFailed,
             Status::IOError("gave up after " + std::to_string(consecutive_failures - 1) +
                             " reconnection attempts without a frame: " + result.message()));
      return;
    }
    const int64_t shift = std::min<int64_t>(consecutive_failures - 1, 30);
    const int64_t delay_ms =
        std::min(options_.reconnect_max_ms, options_.reconnect_initial_ms << shift);
    std::unique_lock lock(mutex_);
    const int64_t now = NowMs();
    stats_.stream_state = "RECONNECTING";
    stats_.consecutive_failures = consecutive_failures;
    stats_.last_error = result.ToString();
    stats_.last_error_ms = now;
    stats_.next_attempt_ms = now + delay_ms;
    if (status_ != StreamProcessorStatus::kStopping) {
      message_ = "reconnecting to " + definition_.input_url + " in " + std::to_string(delay_ms) +
                 " ms (" + std::to_string(consecutive_failures) +
                 " failed attempts in a row); last error: " + result.ToString();
    }
    wake_.wait_for(lock, std::chrono::milliseconds(delay_ms), [this] { return cancel_.load(); });
  }
  SessionEnd end;
  {
    std::lock_guard lock(mutex_);
    end = end_requested_.value_or(SessionEnd::kShutdown);
  }
  Finish(end, Status::Ok());
}

Status StreamSession::Connect() {
  VideoOptions options;
  options.collection_id = definition_.collection_id;
  {
    std::lock_guard lock(mutex_);
    options.face_match_threshold = stats_.policy.threshold_applied;
    options.max_matches = stats_.policy.max_matches;
  }
  options.live = true;
  auto analyzer = factory_(options);
  // The factory's own errors (no engine, bad options) are not the stream's.
  if (!analyzer.ok()) {
    return Status::Internal("cannot create the video analyzer: " + analyzer.status().message());
  }
  VideoObserver observer;
  observer.on_face = [this](const VideoFace&) { MarkStreaming(); };
  observer.on_progress = [this](const VideoProgress& p) { OnProgress(p); };
  observer.on_match = [this](const VideoTrackMatch& m) { OnMatch(m); };
  auto summary = (*analyzer)->Run(definition_.input_url, observer, &cancel_);
  if (summary.ok()) {
    OnProgress(summary->progress);
    std::lock_guard lock(mutex_);
    base_.frames_read = stats_.frames_read;
    base_.frames_analysed = stats_.frames_analysed;
    base_.frames_dropped = stats_.frames_dropped;
    return Status::IOError("the stream ended");
  }
  std::lock_guard lock(mutex_);
  base_.frames_read = stats_.frames_read;
  base_.frames_analysed = stats_.frames_analysed;
  base_.frames_dropped = stats_.frames_dropped;
  return summary.status();
}

void StreamSession::MarkStreaming() {
  if (streaming_this_connection_) return;
  streaming_this_connection_ = true;
  std::lock_guard lock(mutex_);
  ++stats_.connections;
  stats_.stream_state = "STREAMING";
  stats_.consecutive_failures = 0;
  stats_.next_attempt_ms = 0;
  if (status_ == StreamProcessorStatus::kStarting) status_ = StreamProcessorStatus::kRunning;
  if (status_ == StreamProcessorStatus::kRunning) {
    message_ = "streaming from " + definition_.input_url;
    if (stats_.reconnects > 0) {
      message_ += " (" + std::to_string(stats_.reconnects) +
                  " reconnections; last error: " + stats_.last_error + ")";
    }
  }
}

void StreamSession::OnProgress(const VideoProgress& p) {
  if (p.frames_read > 0) MarkStreaming();
  {
    std::lock_guard lock(mutex_);
    stats_.frames_read = base_.frames_read + p.frames_read;
    stats_.frames_analysed = base_.frames_analysed + p.frames_analysed;
    stats_.frames_dropped = base_.frames_dropped + p.frames_dropped;
    stats_.processing_fps = p.analysis_fps;
  }
  checkpoint_due_ = true;
  Checkpoint(false);
}

void StreamSession::OnMatch(const VideoTrackMatch& m) {
  MarkStreaming();
  const int64_t now = NowMs();
  json matched = json::array();
  for (const SearchMatch& s : m.matches) {
    matched.push_back({{"Similarity", s.similarity}, {"Face", protocol::StoredFaceJson(s.face)}});
    auto it = matched_.find(s.face.face_id);
    if (it == matched_.end()) {
      if (matched_.size() >= kMaxAuditedFaceIds) {
        matched_truncated_ = true;
        continue;
      }
      it = matched_.emplace(s.face.face_id, MatchSummary{0, 0, m.timestamp_ms}).first;
      checkpoint_due_ = true;
      last_checkpoint_ms_ = 0;  // a new FaceId: checkpoint now
    }
    it->second.best_similarity = std::max(it->second.best_similarity, s.similarity);
    ++it->second.count;
  }
  faces_searched_ += m.faces_searched;
  if (!m.calibration_version.empty()) calibration_version_ = m.calibration_version;
  const std::string fragment = stats_.session_id + "-" + std::to_string(++record_seq_);
  json detected = {
      {"BoundingBox", BoxJson(m.face.box)},
      {"Confidence", m.face.confidence},
      {"Pose",
       {{"Roll", m.face.pose.roll}, {"Yaw", m.face.pose.yaw}, {"Pitch", m.face.pose.pitch}}},
      {"Quality",
       {{"Brightness", m.face.quality.brightness}, {"Sharpness", m.face.quality.sharpness}}}};
  json record = {
      {"InputInformation",
       {{"KinesisVideo",
         {{"StreamArn", definition_.input_url},
          {"FragmentNumber", fragment},
          {"ServerTimestamp", static_cast<double>(now) / 1000.0},
          {"ProducerTimestamp", static_cast<double>(now) / 1000.0},
          {"FrameOffsetInSeconds", static_cast<double>(m.timestamp_ms) / 1000.0}}}}},
      {"StreamProcessorInformation",
       {{"Status", "RUNNING"}, {"Name", definition_.name}, {"SessionId", stats_.session_id}}},
      {"FaceSearchResponse",
       json::array({{{"DetectedFace", detected}, {"MatchedFaces", matched}}})},
      {"CandorTrackIndex", m.track_index},
      {"CandorFacesSearched", m.faces_searched}};
  if (!m.calibration_version.empty()) record["CandorCalibrationVersion"] = m.calibration_version;
  if (m.collection_false_match_rate) {
    record["CandorCollectionFalseMatchRate"] = *m.collection_false_match_rate;
  }
  pending_.push_back(record.dump(-1, ' ', false, json::error_handler_t::replace));
  {
    std::lock_guard lock(mutex_);
    ++stats_.searches;
    stats_.face_matches += static_cast<int64_t>(m.matches.size());
  }
  Flush(false);
  Checkpoint(false);
}

void StreamSession::Checkpoint(bool force) {
  if (!on_checkpoint_) return;
  const int64_t now = NowMs();
  if (!force && (!checkpoint_due_ || now - last_checkpoint_ms_ < kCheckpointSeconds * 1000)) {
    return;
  }
  checkpoint_due_ = false;
  last_checkpoint_ms_ = now;
  const audit::AuditEvent e = AuditRecord("ServiceCrash", Status::Ok());
  on_checkpoint_(audit::EventBody(e).dump(-1, ' ', false, json::error_handler_t::replace));
}

void StreamSession::Flush(bool force) {
  if (pending_.empty() || sink_ == nullptr) return;
  const int64_t now = NowMs();
  // A sink that just failed is retried about once a second, not per record:
  // an HTTP endpoint that times out would otherwise stall analysis.
  if (!force && last_flush_failure_ms_ != 0 && now - last_flush_failure_ms_ < 1000) return;
  const Status written = sink_->Write(pending_);
  std::lock_guard lock(mutex_);
  if (written.ok()) {
    stats_.events_written += static_cast<int64_t>(pending_.size());
    stats_.sink_error.clear();
    pending_.clear();
    last_flush_failure_ms_ = 0;
    return;
  }
  last_flush_failure_ms_ = now;
  stats_.sink_error = written.ToString();
  if (pending_.size() > options_.max_pending_events) {
    const size_t drop = pending_.size() - options_.max_pending_events;
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(drop));
    stats_.events_dropped += static_cast<int64_t>(drop);
  }
}

void StreamSession::Finish(SessionEnd end, const Status& error) {
  {
    std::lock_guard lock(mutex_);
    stats_.ended_ms = NowMs();
    stats_.stream_state = "ENDED";
    stats_.next_attempt_ms = 0;
    stats_.events_dropped += static_cast<int64_t>(pending_.size());
  }
  pending_.clear();
  const Status audited = AppendAudit(end, error);
  // Cleared once recorded; else left for StreamProcessorManager::Open.
  if (audited.ok() && on_checkpoint_) on_checkpoint_("");
  {
    std::lock_guard lock(mutex_);
    if (end == SessionEnd::kFailed) {
      status_ = StreamProcessorStatus::kFailed;
      message_ = "failed: " + error.ToString();
    } else {
      status_ = StreamProcessorStatus::kStopped;
      message_ = std::string("stopped by ") + std::string(EndName(end));
    }
  }
  if (on_end_) on_end_(end, error);
  finished_ = true;
}

Status StreamSession::AppendAudit(SessionEnd end, const Status& error) {
  if (audit_ == nullptr) return Status::Ok();
  audit::AuditEvent e = AuditRecord(EndName(end), error);
  const Status recorded = audit_->Append(e);
  if (!recorded.ok()) {
    // The records already left; all that can be done is to say so loudly.
    std::fprintf(stderr, "candor: the audit log could not record stream processor session %s: %s\n",
                 e.results.value("SessionId", "").c_str(), recorded.ToString().c_str());
    std::lock_guard lock(mutex_);
    stats_.sink_error += " [session not audited yet: " + recorded.message() + "]";
  }
  return recorded;
}

audit::AuditEvent StreamSession::AuditRecord(std::string_view ended_by, const Status& error) {
  SessionStats s;
  {
    std::lock_guard lock(mutex_);
    s = stats_;
  }
  audit::AuditEvent e;
  e.principal = caller_.principal;
  e.source = caller_.source;
  e.request_id = caller_.request_id;
  e.reason = caller_.reason;
  e.operation = "StreamProcessorSession";
  e.collection_id = definition_.collection_id;
  e.purpose = s.policy.purpose;
  e.threshold_requested = s.policy.threshold_requested;
  e.threshold_applied = s.policy.threshold_applied;
  e.max_faces = s.policy.max_matches;
  e.faces_searched = faces_searched_;
  json matches = json::array();
  for (const auto& [face_id, m] : matched_) {
    matches.push_back({{"FaceId", face_id},
                       {"Similarity", m.best_similarity},
                       {"Count", m.count},
                       {"FirstPositionMs", m.first_position_ms}});
  }
  e.results = {{"Name", definition_.name},
               {"StreamProcessorArn", definition_.arn},
               {"SessionId", s.session_id},
               {"Input", definition_.input_url},
               {"Output", definition_.output_url},
               {"StartTimestamp", static_cast<double>(s.started_ms) / 1000.0},
               {"EndTimestamp", static_cast<double>(s.ended_ms) / 1000.0},
               {"EndedBy", ended_by},
               {"Searches", s.searches},
               {"FaceMatches", matches},
               {"MatchedFaceRecords", s.face_matches},
               {"FramesRead", s.frames_read},
               {"FramesAnalysed", s.frames_analysed},
               {"FramesDropped", s.frames_dropped},
               {"Reconnects", s.reconnects},
               {"EventsWritten", s.events_written},
               {"EventsDropped", s.events_dropped}};
  if (matched_truncated_) e.results["FaceMatchesTruncated"] = true;
  // Which calibration made the similarities (none before the first search).
  if (!calibration_version_.empty()) e.results["CalibrationVersion"] = calibration_version_;
  e.outcome = error.ok() ? "ok" : std::string(ErrorTypeName(error.code()));
  if (!error.ok()) e.results["Message"] = error.message().substr(0, 512);
  if (s.ended_ms == 0) e.results["EndTimestamp"] = static_cast<double>(NowMs()) / 1000.0;
  return e;
}

}  // namespace candor::video
