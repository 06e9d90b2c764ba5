#include "video/stream_processor.h"

#include "policy/search_policy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "audit/audit_event.h"
#include "collections/validation.h"
#include "policy/search_policy.h"

namespace candor::video {
namespace {

constexpr int kDefaultPage = 1000;
constexpr size_t kMaxUrlBytes = 2048;
// Matches per search in a session (VideoOptions::max_matches' default),
// before the policy's MaxFaces cap.
constexpr int kMatchesPerSearch = 10;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Status ValidateInputUrl(const std::string& url) {
  if (url.empty() || url.size() > kMaxUrlBytes) {
    return Status::InvalidArgument("Input.KinesisVideoStream.Arn must be a stream URL of 1 to " +
                                   std::to_string(kMaxUrlBytes) + " bytes");
  }
  for (char ch : url) {
    if (ch <= 0x20 || ch > 0x7e) {
      return Status::InvalidArgument(
          "Input.KinesisVideoStream.Arn must be printable ASCII without spaces");
    }
  }
  static constexpr std::string_view kSchemes[] = {"rtsp://",  "rtsps://", "rtmp://", "http://",
                                                  "https://", "udp://",   "tcp://",  "srt://"};
  for (std::string_view scheme : kSchemes) {
    if (StartsWith(url, scheme) && url.size() > scheme.size()) return Status::Ok();
  }
  return Status::InvalidArgument(
      "Input.KinesisVideoStream.Arn must be the URL of a live stream (rtsp, rtsps, rtmp, http, "
      "https, udp, tcp or srt), got " +
      url.substr(0, 64));
}

}  // namespace

Status ValidateStreamProcessorName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128;
  for (char ch : name) {
    const bool allowed = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                         (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
    ok = ok && allowed;
  }
  if (!ok) return Status::InvalidArgument("Name must be 1 to 128 characters of [a-zA-Z0-9_.-]");
  return Status::Ok();
}

std::string_view StatusName(StreamProcessorStatus status) {
  switch (status) {
    case StreamProcessorStatus::kStopped:
      return "STOPPED";
    case StreamProcessorStatus::kStarting:
      return "STARTING";
    case StreamProcessorStatus::kRunning:
      return "RUNNING";
    case StreamProcessorStatus::kFailed:
      return "FAILED";
    case StreamProcessorStatus::kStopping:
      return "STOPPING";
    case StreamProcessorStatus::kUpdating:
      return "UPDATING";
  }
  return "?";
}

std::optional<StreamProcessorStatus> ParseStatusName(std::string_view name) {
  for (auto s : {StreamProcessorStatus::kStopped, StreamProcessorStatus::kStarting,
                 StreamProcessorStatus::kRunning, StreamProcessorStatus::kFailed,
                 StreamProcessorStatus::kStopping, StreamProcessorStatus::kUpdating}) {
    if (StatusName(s) == name) return s;
  }
  return std::nullopt;
}

StatusOr<SessionPolicy> StreamProcessorManager::ApplyPolicy(const CollectionPolicy& policy,
                                                            float requested,
                                                            const std::string& reason,
                                                            const std::string& collection_id) {
  CANDOR_ASSIGN_OR_RETURN(
      policy::AppliedSearchPolicy applied,
      policy::ApplySearchPolicy(policy, collection_id, requested, kMatchesPerSearch, reason,
                                "start the stream processor with the X-Candor-Reason header "
                                "(a case reference) or a key bound to a case"));
  SessionPolicy out;
  out.purpose = policy.purpose;
  out.threshold_requested = requested;
  out.threshold_applied = applied.threshold;
  out.max_matches = applied.max_results;
  return out;
}

StreamProcessorManager::StreamProcessorManager(StreamProcessorManagerOptions options)
    : options_(std::move(options)) {}

StreamProcessorManager::~StreamProcessorManager() { Shutdown(); }

StatusOr<std::unique_ptr<StreamProcessorManager>> StreamProcessorManager::Open(
    StreamProcessorManagerOptions options) {
  if (!options.analyzer_factory) return Status::InvalidArgument("no video analyzer factory");
  if (options.collections == nullptr) return Status::InvalidArgument("no collections");
  auto manager =
      std::unique_ptr<StreamProcessorManager>(new StreamProcessorManager(std::move(options)));
  CANDOR_ASSIGN_OR_RETURN(manager->store_, StreamProcessorStore::Open(manager->options_.db_path));
  CANDOR_ASSIGN_OR_RETURN(std::vector<StoredStreamProcessor> stored, manager->store_->LoadAll());
  std::lock_guard lock(manager->mutex_);
  for (StoredStreamProcessor& p : stored) {
    if (!p.open_session.empty()) {
      CANDOR_RETURN_IF_ERROR(manager->AuditInterruptedSession(p));
    }
    const std::string name = p.definition.name;
    // Derived from the name, in today's form (older files hold another).
    p.definition.arn = std::string(kStreamProcessorArnPrefix) + name;
    manager->processors_[name].stored = std::move(p);
  }
  for (auto& [name, entry] : manager->processors_) {
    if (entry.stored.status != StreamProcessorStatus::kRunning) continue;
    SessionCaller caller = entry.stored.caller;
    caller.source = "restart";
    Status restarted = Status::Ok();
    std::string message;
    if (manager->options_.restart_running) {
      restarted = manager->StartLocked(entry, caller).status();
      message = "could not restart after the service restarted: " + restarted.ToString();
    } else {
      restarted = Status::Unsupported("not restarted");
      message = "stopped: the service restarted (restarting is disabled)";
    }
    if (!restarted.ok()) {
      const auto status = manager->options_.restart_running ? StreamProcessorStatus::kFailed
                                                            : StreamProcessorStatus::kStopped;
      entry.stored.status = status;
      entry.stored.status_message = message;
      CANDOR_RETURN_IF_ERROR(
          manager->store_->UpdateStatus(name, status, message, entry.stored.caller, NowMs()));
    }
  }
  return manager;
}

Status StreamProcessorManager::AuditInterruptedSession(StoredStreamProcessor& p) {
  const std::string& name = p.definition.name;
  const nlohmann::json body = nlohmann::json::parse(p.open_session, nullptr, false);
  auto event = audit::EventFromJson(body);
  if (!event.ok()) {
    return Status::Corruption(options_.db_path + ": the open session of stream processor " + name +
                              " cannot be read: " + event.status().message());
  }
  if (options_.audit != nullptr) {
    audit::AuditEvent e = std::move(event).value();
    e.seq = 0;
    e.time_ms = 0;
    e.prev_hash.clear();
    e.hash.clear();
    if (!e.results.is_object()) e.results = nlohmann::json::object();
    e.results["EndedBy"] = "ServiceCrash";
    // What matched after the last checkpoint (at EndTimestamp) is not known.
    e.results["Incomplete"] = true;
    CANDOR_RETURN_IF_ERROR(options_.audit->Append(e));
  }
  CANDOR_RETURN_IF_ERROR(store_->SaveSession(name, ""));
  p.open_session.clear();
  return Status::Ok();
}

bool StreamProcessorManager::Active(const Entry& entry) {
  return entry.session != nullptr && !entry.session->finished();
}

StatusOr<StreamProcessorDefinition> StreamProcessorManager::Create(StreamProcessorDefinition d) {
  CANDOR_RETURN_IF_ERROR(ValidateStreamProcessorName(d.name));
  CANDOR_RETURN_IF_ERROR(ValidateInputUrl(d.input_url));
  CANDOR_RETURN_IF_ERROR(ValidateSinkUrl(d.output_url, options_.session.file_sink_root));
  CANDOR_RETURN_IF_ERROR(ValidatePercent(d.face_match_threshold, "FaceMatchThreshold"));
  CANDOR_RETURN_IF_ERROR(ValidateCollectionId(d.collection_id));
  CANDOR_RETURN_IF_ERROR(options_.collections->DescribeCollection(d.collection_id, false).status());
  std::lock_guard lock(mutex_);
  if (shut_down_) return Status::Throttling("the service is shutting down; retry");
  if (processors_.count(d.name) != 0) {
    return Status::ResourceInUse("a stream processor named " + d.name + " already exists");
  }
  if (d.tags.size() > kMaxTagsPerResource) {
    return Status::ServiceQuotaExceeded("a stream processor holds at most " +
                                        std::to_string(kMaxTagsPerResource) + " tags");
  }
  if (static_cast<int>(processors_.size()) >= options_.max_processors) {
    return Status::LimitExceeded("this service holds at most " +
                                     std::to_string(options_.max_processors) +
                                     " stream processors; delete one first");
  }
  d.arn = std::string(kStreamProcessorArnPrefix) + d.name;
  d.created_ms = d.updated_ms = NowMs();
  StoredStreamProcessor stored;
  stored.definition = d;
  CANDOR_RETURN_IF_ERROR(store_->Insert(stored));
  processors_[d.name].stored = std::move(stored);
  return d;
}

StatusOr<StartedSession> StreamProcessorManager::StartLocked(Entry& entry,
                                                             const SessionCaller& caller) {
  const StreamProcessorDefinition& d = entry.stored.definition;
  int running = 0;
  for (const auto& [name, e] : processors_) running += Active(e) ? 1 : 0;
  if (running >= options_.max_running) {
    return Status::Throttling("at most " + std::to_string(options_.max_running) +
                                     " stream processors may run at once; retry when one stops");
  }
  CANDOR_ASSIGN_OR_RETURN(CollectionPolicy policy,
                          options_.collections->GetCollectionPolicy(d.collection_id));
  CANDOR_ASSIGN_OR_RETURN(SessionPolicy applied, ApplyPolicy(policy, d.face_match_threshold,
                                                             caller.reason, d.collection_id));
  const std::string session_id = NewUuid();
  const int64_t now = NowMs();
  CANDOR_RETURN_IF_ERROR(
      store_->UpdateStatus(d.name, StreamProcessorStatus::kRunning, "", caller, now));
  entry.stored.definition.updated_ms = now;
  entry.stored.status = StreamProcessorStatus::kRunning;
  entry.stored.status_message.clear();
  entry.stored.caller = caller;
  // The previous session (finished: see Active) is joined here.
  entry.session.reset();
  const std::string name = d.name;
  entry.session = std::make_unique<StreamSession>(
      d, caller, applied, session_id, options_.analyzer_factory, options_.audit, options_.session,
      [this, name](SessionEnd end, const Status& error) { OnSessionEnd(name, end, error); },
      [store = store_.get(), name](const std::string& event_json) {
        const Status saved = store->SaveSession(name, event_json);
        if (!saved.ok()) {
          std::fprintf(stderr, "candor: cannot checkpoint stream processor %s's session: %s\n",
                       name.c_str(), saved.ToString().c_str());
        }
      });
  entry.session->Start();
  return StartedSession{session_id, applied};
}

StatusOr<StartedSession> StreamProcessorManager::Start(const std::string& name,
                                                       const SessionCaller& caller) {
  std::lock_guard lock(mutex_);
  if (shut_down_) return Status::Throttling("the service is shutting down; retry");
  auto it = processors_.find(name);
  if (it == processors_.end()) return Status::NotFound("no stream processor named " + name);
  if (Active(it->second)) {
    return Status::ResourceInUse("stream processor " + name + " is " +
                            std::string(StatusName(it->second.session->snapshot().status)) +
                            "; stop it first");
  }
  return StartLocked(it->second, caller);
}

Status StreamProcessorManager::Stop(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = processors_.find(name);
  if (it == processors_.end()) return Status::NotFound("no stream processor named " + name);
  Entry& entry = it->second;
  if (!Active(entry)) {
    return Status::ResourceInUse("stream processor " + name + " is not running");
  }
  const StreamSession::Snapshot snap = entry.session->snapshot();
  if (snap.status == StreamProcessorStatus::kStopping) {
    return Status::ResourceInUse("stream processor " + name + " is already stopping");
  }
  if (snap.status != StreamProcessorStatus::kStarting &&
      snap.status != StreamProcessorStatus::kRunning) {
    return Status::ResourceInUse("stream processor " + name + " is not running");
  }
  // Recorded first: a service that dies while the session stops must not
  // restart it.
  const int64_t now = NowMs();
  CANDOR_RETURN_IF_ERROR(store_->UpdateStatus(name, StreamProcessorStatus::kStopped,
                                              "stopped by StopStreamProcessor", entry.stored.caller,
                                              now));
  entry.stored.definition.updated_ms = now;
  entry.stored.status = StreamProcessorStatus::kStopped;
  entry.stored.status_message = "stopped by StopStreamProcessor";
  entry.session->RequestStop(SessionEnd::kStopped);
  return Status::Ok();
}

void StreamProcessorManager::OnSessionEnd(const std::string& name, SessionEnd end,
                                          const Status& error) {
  if (end != SessionEnd::kFailed) return;  // Stop recorded it; a shutdown keeps RUNNING
  std::lock_guard lock(mutex_);
  auto it = processors_.find(name);
  if (it == processors_.end()) return;
  const std::string message = "failed: " + error.ToString();
  const int64_t now = NowMs();
  it->second.stored.status = StreamProcessorStatus::kFailed;
  it->second.stored.status_message = message;
  it->second.stored.definition.updated_ms = now;
  const Status recorded = store_->UpdateStatus(name, StreamProcessorStatus::kFailed, message,
                                               it->second.stored.caller, now);
  if (!recorded.ok()) {
    std::fprintf(stderr, "candor: cannot record that stream processor %s failed: %s\n",
                 name.c_str(), recorded.ToString().c_str());
  }
}

StreamProcessorInfo StreamProcessorManager::InfoLocked(const Entry& entry) const {
  StreamProcessorInfo info;
  info.definition = entry.stored.definition;
  if (entry.session != nullptr) {
    StreamSession::Snapshot snap = entry.session->snapshot();
    info.status = snap.status;
    info.status_message = std::move(snap.message);
    info.session = std::move(snap.stats);
  } else {
    info.status = entry.stored.status;
    info.status_message = entry.stored.status_message;
  }
  return info;
}

Status StreamProcessorManager::Tag(const std::string& name, const Tags& tags) {
  return ChangeTags(name, [&](Tags& t) {
    for (const auto& [key, value] : tags) t[key] = value;
  });
}

Status StreamProcessorManager::Untag(const std::string& name,
                                     const std::vector<std::string>& keys) {
  return ChangeTags(name, [&](Tags& t) {
    for (const std::string& key : keys) t.erase(key);
  });
}

Status StreamProcessorManager::ChangeTags(const std::string& name,
                                          const std::function<void(Tags&)>& change) {
  std::lock_guard lock(mutex_);
  auto it = processors_.find(name);
  if (it == processors_.end()) return Status::NotFound("no stream processor named " + name);
  StreamProcessorDefinition changed = it->second.stored.definition;
  change(changed.tags);
  if (changed.tags.size() > kMaxTagsPerResource) {
    return Status::ServiceQuotaExceeded("stream processor " + name + " would hold more than " +
                                        std::to_string(kMaxTagsPerResource) + " tags");
  }
  CANDOR_RETURN_IF_ERROR(store_->SaveExtras(changed));
  it->second.stored.definition.tags = std::move(changed.tags);
  return Status::Ok();
}

StatusOr<Tags> StreamProcessorManager::ListTags(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = processors_.find(name);
  if (it == processors_.end()) return Status::NotFound("no stream processor named " + name);
  return it->second.stored.definition.tags;
}

StatusOr<StreamProcessorInfo> StreamProcessorManager::Describe(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = processors_.find(name);
  if (it == processors_.end()) return Status::NotFound("no stream processor named " + name);
  return InfoLocked(it->second);
}

StatusOr<StreamProcessorPage> StreamProcessorManager::List(const std::string& next_token,
                                                           int max_results) {
  if (max_results < 0 || max_results > kDefaultPage) {
    return Status::InvalidArgument("MaxResults must be 1 to 1000");
  }
  if (max_results == 0) max_results = kDefaultPage;
  std::string after;
  if (!next_token.empty()) {
    CANDOR_ASSIGN_OR_RETURN(after, DecodeShortPageToken("sp", "", next_token));
  }
  std::lock_guard lock(mutex_);
  StreamProcessorPage page;
  auto it = next_token.empty() ? processors_.begin() : processors_.upper_bound(after);
  for (; it != processors_.end(); ++it) {
    if (static_cast<int>(page.processors.size()) == max_results) {
      page.next_token = EncodePageToken("sp", "", page.processors.back().definition.name);
      break;
    }
    page.processors.push_back(InfoLocked(it->second));
  }
  return page;
}

Status StreamProcessorManager::Delete(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = processors_.find(name);
  if (it == processors_.end()) return Status::NotFound("no stream processor named " + name);
  if (Active(it->second)) {
    return Status::ResourceInUse("stream processor " + name + " is " +
                            std::string(StatusName(it->second.session->snapshot().status)) +
                            "; stop it before deleting it");
  }
  CANDOR_RETURN_IF_ERROR(store_->Delete(name));
  processors_.erase(it);  // joins the finished session's thread
  return Status::Ok();
}

void StreamProcessorManager::Shutdown() {
  std::vector<StreamSession*> sessions;
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [name, entry] : processors_) {
      if (entry.session != nullptr) {
        entry.session->RequestStop(SessionEnd::kShutdown);
        sessions.push_back(entry.session.get());
      }
    }
  }
  // Outside the lock: an ending session calls OnSessionEnd, which takes it.
  for (StreamSession* s : sessions) s->Join();
}

}  // namespace candor::video
