#include "video/video_jobs.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "collections/validation.h"
#include "policy/search_policy.h"
#include "protocol/collections_json.h"
#include "protocol/rekognition_json.h"

namespace candor::video {
namespace {

using nlohmann::json;

// Matches kept per search of a track (as a stream processor's).
constexpr int kMatchesPerSearch = 10;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TokenKey(const VideoJobRequest& r) {
  return std::string(VideoJobKindName(r.kind)) + "/" + r.client_request_token;
}

// Video faces' boxes are ratios of the frame already.
constexpr ImageInfo kRatios{.width = 1, .height = 1};

json FaceEntry(const VideoFace& f, AttributeSet attributes) {
  return {{"Timestamp", f.timestamp_ms},
          {"Face", protocol::FaceDetail(f.face, kRatios, {.attributes = attributes})}};
}

// Persons[] entry: the face, and the matches of its track's latest search at
// or before its timestamp (`matches` in timestamp order).
json PersonEntry(const VideoFace& f, const std::vector<VideoTrackMatch>& matches) {
  json person = {{"Index", f.track_index},
                 {"BoundingBox", protocol::BoundingBoxJson(f.face.box, kRatios)},
                 {"Face", protocol::FaceDetail(f.face, kRatios, {})}};
  json entry = {{"Timestamp", f.timestamp_ms}, {"Person", person}};
  const VideoTrackMatch* latest = nullptr;
  for (const VideoTrackMatch& m : matches) {
    if (m.timestamp_ms > f.timestamp_ms) break;
    if (m.track_index == f.track_index) latest = &m;
  }
  if (latest != nullptr) {
    json list = json::array();
    for (const SearchMatch& s : latest->matches) {
      list.push_back({{"Similarity", s.similarity},
                      {"Face", protocol::StoredFaceJson(s.face)},
                      {"CandorFalseMatchRate", s.false_match_rate}});
    }
    entry["FaceMatches"] = list;
  }
  return entry;
}

}  // namespace

// `message` with the server's file names taken out: the video's local path
// becomes the S3Object the caller named, and any other absolute path
// "(a server path)".
std::string PublicStatusMessage(const std::string& message, const VideoJobRequest& r) {
  std::string out = message;
  const std::string named = "s3://" + r.bucket + "/" + r.name;
  for (size_t at = 0; !r.video_path.empty() && (at = out.find(r.video_path, at)) != std::string::npos;
       at += named.size()) {
    out.replace(at, r.video_path.size(), named);
  }
  std::string cleaned;
  for (size_t i = 0; i < out.size();) {
    const bool starts_path = out[i] == '/' && i + 1 < out.size() && out[i + 1] != ' ' &&
                             (i == 0 || out[i - 1] == ' ' || out[i - 1] == '\'' ||
                              out[i - 1] == '"' || out[i - 1] == '(' || out[i - 1] == '[');
    if (!starts_path) {
      cleaned += out[i++];
      continue;
    }
    while (i < out.size() && out[i] != ' ' && out[i] != '\'' && out[i] != '"' && out[i] != ')' &&
           out[i] != ']' && out[i] != ',' && out[i] != ';') {
      ++i;
    }
    cleaned += "(a server path)";
  }
  return cleaned;
}

VideoJobManager::VideoJobManager(VideoJobManagerOptions options) : options_(std::move(options)) {}

VideoJobManager::~VideoJobManager() { Shutdown(); }

StatusOr<std::unique_ptr<VideoJobManager>> VideoJobManager::Open(VideoJobManagerOptions options) {
  if (!options.analyzer_factory) return Status::InvalidArgument("no video analyzer factory");
  if (options.collections == nullptr) return Status::InvalidArgument("no collections");
  auto manager = std::unique_ptr<VideoJobManager>(new VideoJobManager(std::move(options)));
  std::vector<StoredVideoJob> stored;
  if (!manager->options_.shared_store.empty()) {
    const VideoJobManagerOptions& o = manager->options_;
    if (o.node.empty() || o.lease_ms < 3) {
      return Status::InvalidArgument("a cluster's video jobs need the node's name and a lease");
    }
    CANDOR_ASSIGN_OR_RETURN(manager->shared_, store::PgVideoJobs::Open(o.shared_store));
    // This node's jobs left IN_PROGRESS by its last run: its again (renewed
    // before any node fails them), run again from the start.
    CANDOR_RETURN_IF_ERROR(manager->shared_->Renew(o.node, o.lease_ms));
    CANDOR_ASSIGN_OR_RETURN(std::vector<store::VideoJobRow> rows,
                            manager->shared_->InProgressOf(o.node));
    for (const store::VideoJobRow& row : rows) {
      CANDOR_ASSIGN_OR_RETURN(StoredVideoJob job,
                              DecodeVideoJob(row, "the cluster's video job " + row.job_id));
      stored.push_back(std::move(job));
    }
    CANDOR_RETURN_IF_ERROR(manager->KeepLeases().status());
  } else {
    CANDOR_ASSIGN_OR_RETURN(manager->store_, VideoJobStore::Open(manager->options_.db_path));
    CANDOR_ASSIGN_OR_RETURN(stored, manager->store_->LoadAll());
  }
  {
    std::lock_guard lock(manager->mutex_);
    for (StoredVideoJob& job : stored) {
      if (!job.request.client_request_token.empty()) {
        manager->tokens_[TokenKey(job.request)] = job.job_id;
      }
      // Left IN_PROGRESS by a service that stopped: run again from the start.
      if (job.status == VideoJobStatus::kInProgress) manager->queue_.push_back(job.job_id);
      const std::string id = job.job_id;
      manager->jobs_[id] = std::make_shared<const StoredVideoJob>(std::move(job));
    }
  }
  manager->worker_ = std::thread([m = manager.get()] { m->WorkerLoop(); });
  if (manager->shared_) {
    manager->lease_keeper_ = std::thread([m = manager.get()] { m->LeaseLoop(); });
  }
  return manager;
}

StatusOr<int64_t> VideoJobManager::KeepLeases() {
  if (!shared_) return int64_t{0};
  CANDOR_RETURN_IF_ERROR(shared_->Renew(options_.node, options_.lease_ms));
  CANDOR_ASSIGN_OR_RETURN(const int64_t failed, shared_->FailExpired(kNodeStoppedMessage));
  if (failed > 0) {
    std::fprintf(stderr, "candor: %lld video jobs of nodes that stopped are FAILED now\n",
                 static_cast<long long>(failed));
  }
  return failed;
}

void VideoJobManager::LeaseLoop() {
  std::unique_lock lock(mutex_);
  while (!shut_down_) {
    lease_wake_.wait_for(lock, std::chrono::milliseconds(options_.lease_ms / 3));
    if (shut_down_) return;
    lock.unlock();
    // A database that cannot be reached: tried again at the next turn (the
    // leases last three turns).
    auto kept = KeepLeases();
    if (!kept.ok()) {
      std::fprintf(stderr, "candor: cannot renew the video jobs' leases: %s\n",
                   kept.status().ToString().c_str());
    }
    lock.lock();
  }
}

StatusOr<StartedVideoJob> VideoJobManager::StartShared(StoredVideoJob job) {
  const VideoJobRequest& request = job.request;
  const std::string kind(VideoJobKindName(request.kind));
  auto earlier_job = [&]() -> StatusOr<std::optional<StartedVideoJob>> {
    if (request.client_request_token.empty()) return std::optional<StartedVideoJob>();
    CANDOR_ASSIGN_OR_RETURN(auto row, shared_->FindByToken(kind, request.client_request_token));
    if (!row) return std::optional<StartedVideoJob>();
    CANDOR_ASSIGN_OR_RETURN(StoredVideoJob earlier,
                            DecodeVideoJob(*row, "the cluster's video job " + row->job_id));
    if (earlier.request.Parameters() != request.Parameters()) {
      return Status::IdempotentParameterMismatch("ClientRequestToken " +
                                                 request.client_request_token +
                                                 " was used for a job with other parameters");
    }
    return std::optional<StartedVideoJob>(StartedVideoJob{earlier.job_id, earlier.policy, true});
  };
  CANDOR_ASSIGN_OR_RETURN(std::optional<StartedVideoJob> reused, earlier_job());
  if (reused) return *reused;
  if (queue_.size() >= static_cast<size_t>(std::max(1, options_.max_pending))) {
    return Status::LimitExceeded("too many video jobs are in progress on this node (" +
                                 std::to_string(queue_.size()) + "); retry later");
  }
  job.job_id = NewUuid();
  job.created_ms = NowMs();
  const Status inserted = shared_->Insert(EncodeVideoJob(job), options_.node, options_.lease_ms);
  if (inserted.code() == StatusCode::kAlreadyExists && !request.client_request_token.empty()) {
    // Another node took the token between the look and the insert.
    CANDOR_ASSIGN_OR_RETURN(reused, earlier_job());
    if (reused) return *reused;
  }
  CANDOR_RETURN_IF_ERROR(inserted);
  StartedVideoJob started{job.job_id, job.policy, false};
  queue_.push_back(started.job_id);
  jobs_[started.job_id] = std::make_shared<const StoredVideoJob>(std::move(job));
  wake_.notify_all();
  return started;
}

StatusOr<StartedVideoJob> VideoJobManager::Start(const VideoJobRequest& request,
                                                 const SessionCaller& caller) {
  StoredVideoJob job;
  job.request = request;
  job.caller = caller;
  if (request.kind == VideoJobKind::kFaceSearch) {
    CANDOR_ASSIGN_OR_RETURN(CollectionPolicy policy,
                            options_.collections->GetCollectionPolicy(request.collection_id));
    CANDOR_ASSIGN_OR_RETURN(
        policy::AppliedSearchPolicy applied,
        policy::ApplySearchPolicy(policy, request.collection_id, request.face_match_threshold,
                                  kMatchesPerSearch, caller.reason,
                                  "start the face search with the X-Candor-Reason header "
                                  "(a case reference) or a key bound to a case"));
    job.policy.purpose = policy.purpose;
    job.policy.threshold_requested = request.face_match_threshold;
    job.policy.threshold_applied = applied.threshold;
    job.policy.max_matches = applied.max_results;
  }
  std::lock_guard lock(mutex_);
  if (shut_down_) return Status::Unsupported("the service is shutting down");
  if (shared_) return StartShared(std::move(job));
  if (!request.client_request_token.empty()) {
    const auto it = tokens_.find(TokenKey(request));
    if (it != tokens_.end()) {
      const StoredVideoJob& earlier = *jobs_.at(it->second);
      if (earlier.request.Parameters() != request.Parameters()) {
        return Status::IdempotentParameterMismatch("ClientRequestToken " +
                                                   request.client_request_token +
                                                   " was used for a job with other parameters");
      }
      return StartedVideoJob{earlier.job_id, earlier.policy, true};
    }
  }
  if (queue_.size() >= static_cast<size_t>(std::max(1, options_.max_pending))) {
    return Status::LimitExceeded("too many video jobs are in progress (" +
                                     std::to_string(queue_.size()) + "); retry later");
  }
  job.job_id = NewUuid();
  job.created_ms = NowMs();
  CANDOR_RETURN_IF_ERROR(store_->Insert(job));
  if (!request.client_request_token.empty()) tokens_[TokenKey(request)] = job.job_id;
  StartedVideoJob started{job.job_id, job.policy, false};
  queue_.push_back(started.job_id);
  jobs_[started.job_id] = std::make_shared<const StoredVideoJob>(std::move(job));
  wake_.notify_all();
  return started;
}

StatusOr<std::shared_ptr<const StoredVideoJob>> VideoJobManager::Get(const std::string& job_id,
                                                                     VideoJobKind kind) const {
  if (shared_) {
    CANDOR_ASSIGN_OR_RETURN(auto row, shared_->Find(job_id));
    if (row && row->kind == VideoJobKindName(kind)) {
      CANDOR_ASSIGN_OR_RETURN(StoredVideoJob job,
                              DecodeVideoJob(*row, "the cluster's video job " + row->job_id));
      return std::make_shared<const StoredVideoJob>(std::move(job));
    }
    return Status::NotFound("no " + std::string(VideoJobKindName(kind)) + " job " +
                            job_id.substr(0, 64));
  }
  std::lock_guard lock(mutex_);
  const auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second->request.kind != kind) {
    return Status::NotFound("no " + std::string(VideoJobKindName(kind)) + " job " +
                            job_id.substr(0, 64));
  }
  return it->second;
}

StatusOr<std::vector<std::shared_ptr<const StoredVideoJob>>> VideoJobManager::List(
    const std::vector<VideoJobKind>& kinds, size_t max_results) const {
  std::vector<std::shared_ptr<const StoredVideoJob>> out;
  if (shared_) {
    std::vector<std::string> names;
    for (VideoJobKind k : kinds) names.emplace_back(VideoJobKindName(k));
    CANDOR_ASSIGN_OR_RETURN(std::vector<store::VideoJobRow> rows,
                            shared_->List(names, static_cast<int64_t>(max_results)));
    for (const store::VideoJobRow& row : rows) {
      CANDOR_ASSIGN_OR_RETURN(StoredVideoJob job,
                              DecodeVideoJob(row, "the cluster's video job " + row.job_id));
      out.push_back(std::make_shared<const StoredVideoJob>(std::move(job)));
    }
    return out;
  }
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, job] : jobs_) {
      if (std::find(kinds.begin(), kinds.end(), job->request.kind) != kinds.end()) {
        out.push_back(job);
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a->created_ms != b->created_ms ? a->created_ms > b->created_ms : a->job_id > b->job_id;
  });
  if (out.size() > max_results) out.resize(max_results);
  return out;
}

void VideoJobManager::Shutdown() {
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    cancel_ = true;
  }
  wake_.notify_all();
  lease_wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (lease_keeper_.joinable()) lease_keeper_.join();
}

void VideoJobManager::WorkerLoop() {
  for (;;) {
    StoredVideoJob job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return shut_down_ || !queue_.empty(); });
      if (shut_down_) return;
      job = *jobs_.at(queue_.front());
    }
    if (!RunJob(job)) return;  // cancelled: stays IN_PROGRESS for the next open
    std::lock_guard lock(mutex_);
    queue_.pop_front();
    const std::string id = job.job_id;
    if (shared_) {
      jobs_.erase(id);  // Get reads the database
    } else {
      jobs_[id] = std::make_shared<const StoredVideoJob>(std::move(job));
    }
  }
}

bool VideoJobManager::RunJob(StoredVideoJob& job) {
  const VideoJobRequest& r = job.request;
  VideoOptions video;
  video.attributes = r.attributes;
  if (r.kind == VideoJobKind::kFaceSearch) {
    video.collection_id = r.collection_id;
    video.face_match_threshold = job.policy.threshold_applied;
    video.max_matches = job.policy.max_matches;
  }
  std::vector<VideoFace> faces;
  std::vector<VideoTrackMatch> matches;
  bool too_many = false;
  VideoObserver observer;
  observer.on_face = [&](const VideoFace& f) {
    if (faces.size() >= options_.max_results) {
      too_many = true;
      return;
    }
    faces.push_back(f);
  };
  observer.on_match = [&](const VideoTrackMatch& m) { matches.push_back(m); };

  StatusOr<VideoSummary> summary = [&]() -> StatusOr<VideoSummary> {
    CANDOR_ASSIGN_OR_RETURN(std::unique_ptr<VideoAnalyzer> analyzer,
                            options_.analyzer_factory(video));
    return analyzer->Run(r.video_path, observer, &cancel_);
  }();
  if (cancel_) return false;

  Status error = summary.status();
  if (error.ok() && too_many) {
    error = Status::ResourceExhausted("the video has more than " +
                                      std::to_string(options_.max_results) + " faces to report");
  }
  // The analyzer reports tracks' searches in timestamp order; sorted again
  // so that PersonEntry's scan does not depend on it.
  std::stable_sort(matches.begin(), matches.end(),
                   [](const auto& a, const auto& b) { return a.timestamp_ms < b.timestamp_ms; });
  if (summary.ok()) job.metadata = summary->metadata;
  // All searches of a job run with the service's one calibration; the
  // gallery's rate is the latest measurement a search saw.
  job.search = {};
  for (const VideoTrackMatch& m : matches) {
    if (!m.calibration_version.empty()) job.search.calibration_version = m.calibration_version;
    if (m.collection_false_match_rate) {
      job.search.collection_false_match_rate = m.collection_false_match_rate;
    }
  }
  job.results = json::array();
  if (error.ok()) {
    for (const VideoFace& f : faces) {
      job.results.push_back(r.kind == VideoJobKind::kFaceSearch ? PersonEntry(f, matches)
                                                                : FaceEntry(f, r.attributes));
    }
  }
  if (r.kind == VideoJobKind::kFaceSearch) {
    const Status audited = AuditSearch(job, matches, error);
    if (!audited.ok() && error.ok()) {
      error = Status::Internal("the audit log could not record this job's results: " +
                               audited.message());
      job.results = json::array();
    }
  }
  job.status = error.ok() ? VideoJobStatus::kSucceeded : VideoJobStatus::kFailed;
  if (!error.ok()) {
    // The whole message, paths included, is for the operator's log; the
    // caller's StatusMessage names the video as the caller did.
    std::fprintf(stderr, "candor: video job %s failed: %s\n", job.job_id.c_str(),
                 error.ToString().c_str());
  }
  job.status_message = error.ok() ? "" : PublicStatusMessage(error.message(), r).substr(0, 1024);
  job.completed_ms = NowMs();
  const Status stored =
      shared_ ? shared_->Complete(EncodeVideoJob(job), options_.node) : store_->Complete(job);
  if (!stored.ok()) {
    std::fprintf(stderr, "candor: cannot record the end of video job %s: %s\n", job.job_id.c_str(),
                 stored.ToString().c_str());
  }
  return true;
}

Status VideoJobManager::AuditSearch(const StoredVideoJob& job,
                                    const std::vector<VideoTrackMatch>& matches,
                                    const Status& error) {
  if (options_.audit == nullptr) return Status::Ok();
  audit::AuditEvent e;
  e.principal = job.caller.principal;
  e.source = job.caller.source;
  e.request_id = job.caller.request_id;
  e.reason = job.caller.reason;
  e.operation = "StartFaceSearch.Completed";
  e.collection_id = job.request.collection_id;
  e.purpose = job.policy.purpose;
  e.threshold_requested = job.policy.threshold_requested;
  e.threshold_applied = job.policy.threshold_applied;
  e.max_faces = job.policy.max_matches;
  json matched = json::array();
  int64_t searches = 0;
  for (const VideoTrackMatch& m : matches) {
    e.faces_searched += m.faces_searched;
    ++searches;
    for (const SearchMatch& s : m.matches) {
      matched.push_back({{"FaceId", s.face.face_id},
                         {"Similarity", s.similarity},
                         {"Timestamp", m.timestamp_ms},
                         {"Index", m.track_index}});
    }
  }
  e.results = {{"JobId", job.job_id},
               {"Video", job.request.bucket + "/" + job.request.name},
               {"Searches", searches},
               {"FaceMatches", matched}};
  if (job.policy.threshold_applied > job.policy.threshold_requested) {
    e.results["ThresholdRaised"] = true;
  }
  // Which calibration made the similarities (none when nothing was searched).
  if (!job.search.calibration_version.empty()) {
    e.results["CalibrationVersion"] = job.search.calibration_version;
  }
  if (job.search.collection_false_match_rate) {
    e.results["CollectionFalseMatchRate"] = *job.search.collection_false_match_rate;
  }
  e.outcome = error.ok() ? "ok" : std::string(ErrorTypeName(error.code()));
  if (!error.ok()) e.results["Message"] = error.message().substr(0, 512);
  const Status recorded = options_.audit->Append(e);
  if (!recorded.ok()) {
    std::fprintf(stderr, "candor: the audit log could not record video job %s: %s\n",
                 job.job_id.c_str(), recorded.ToString().c_str());
  }
  return recorded;
}

}  // namespace candor::video
