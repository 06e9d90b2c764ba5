#include "video/stream_processor.h"

#include "policy/search_policy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
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
  const StreamProcessorManagerOptions& o = manager->options_;
  std::vector<StoredStreamProcessor> stored;
  // On a cluster: the RUNNING processors of other nodes are theirs (this
  // node restarts only its own).
  std::set<std::string> others;
  if (!o.shared_store.empty()) {
    if (o.node.empty() || o.lease_ms < 3) {
      return Status::InvalidArgument("a cluster's stream processors need the node's name and a "
                                     "lease");
    }
    CANDOR_ASSIGN_OR_RETURN(manager->shared_, store::PgStreamProcessors::Open(o.shared_store));
    CANDOR_RETURN_IF_ERROR(manager->shared_->Renew(o.node, o.lease_ms));
    CANDOR_ASSIGN_OR_RETURN(std::vector<store::StreamProcessorRow> rows, manager->shared_->All());
    for (const store::StreamProcessorRow& row : rows) {
      CANDOR_ASSIGN_OR_RETURN(StoredStreamProcessor p,
                              DecodeStreamProcessor(row, "the cluster's stream processors"));
      if (row.node != o.node) {
        others.insert(row.name);
        p.open_session.clear();  // the running node's (or its taker's) to audit
      }
      stored.push_back(std::move(p));
    }
  } else {
    CANDOR_ASSIGN_OR_RETURN(manager->store_, StreamProcessorStore::Open(o.db_path));
    CANDOR_ASSIGN_OR_RETURN(stored, manager->store_->LoadAll());
  }
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
    if (others.count(name) != 0) continue;
    SessionCaller caller = entry.stored.caller;
    caller.source = "restart";
    Status restarted = Status::Ok();
    std::string message;
    if (manager->options_.restart_running) {
      restarted = manager->StartLocked(entry, caller, /*ours=*/true).status();
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
      if (manager->shared_) {
        CANDOR_RETURN_IF_ERROR(manager->shared_
                                   ->EndRunning(name, o.node, std::string(StatusName(status)),
                                                message, NowMs())
                                   .status());
      } else {
        CANDOR_RETURN_IF_ERROR(
            manager->store_->UpdateStatus(name, status, message, entry.stored.caller, NowMs()));
      }
    }
  }
  if (manager->shared_) {
    manager->lease_keeper_ = std::thread([m = manager.get()] { m->LeaseLoop(); });
  }
  return manager;
}

Status StreamProcessorManager::SaveSession(const std::string& name,
                                           const std::string& session_json) {
  return shared_ ? shared_->SaveSession(name, session_json)
                 : store_->SaveSession(name, session_json);
}

Status StreamProcessorManager::SyncLocked() {
  if (!shared_) return Status::Ok();
  CANDOR_ASSIGN_OR_RETURN(std::vector<store::StreamProcessorRow> rows, shared_->All());
  std::set<std::string> names;
  for (const store::StreamProcessorRow& row : rows) {
    CANDOR_ASSIGN_OR_RETURN(StoredStreamProcessor p,
                            DecodeStreamProcessor(row, "the cluster's stream processors"));
    names.insert(row.name);
    p.definition.arn = std::string(kStreamProcessorArnPrefix) + row.name;
    p.open_session.clear();  // read from the row only where it is audited
    Entry& entry = processors_[row.name];
    if (Active(entry)) {
      entry.stored.definition.tags = p.definition.tags;  // the session's own state stays
      continue;
    }
    // A session that ended here while another node runs the processor: its
    // state is that node's, not this last session's.
    if (row.status == "RUNNING" && row.node != options_.node) entry.session.reset();
    entry.stored = std::move(p);
  }
  for (auto it = processors_.begin(); it != processors_.end();) {
    it = names.count(it->first) == 0 && !Active(it->second) ? processors_.erase(it) : ++it;
  }
  return Status::Ok();
}

StatusOr<int64_t> StreamProcessorManager::KeepLeases() {
  if (!shared_) return int64_t{0};
  std::lock_guard lock(mutex_);
  if (shut_down_) return int64_t{0};
  CANDOR_RETURN_IF_ERROR(shared_->Renew(options_.node, options_.lease_ms));
  // Sessions whose processor another node stopped (or deleted, or took
  // over): ended here.
  CANDOR_ASSIGN_OR_RETURN(std::vector<store::StreamProcessorRow> rows, shared_->All());
  std::map<std::string, const store::StreamProcessorRow*> by_name;
  for (const auto& row : rows) by_name[row.name] = &row;
  int running = 0;
  for (auto& [name, entry] : processors_) {
    if (!Active(entry)) continue;
    const auto it = by_name.find(name);
    if (it == by_name.end() || it->second->status != "RUNNING" ||
        it->second->node != options_.node) {
      const StreamSession::Snapshot snap = entry.session->snapshot();
      if (snap.status == StreamProcessorStatus::kStarting ||
          snap.status == StreamProcessorStatus::kRunning) {
        entry.session->RequestStop(SessionEnd::kStopped);
      }
      continue;
    }
    ++running;
  }
  CANDOR_RETURN_IF_ERROR(SyncLocked());
  if (running >= options_.max_running) return int64_t{0};
  CANDOR_ASSIGN_OR_RETURN(
      std::vector<store::StreamProcessorRow> taken,
      shared_->TakeExpired(options_.node, options_.lease_ms, options_.max_running - running));
  for (const store::StreamProcessorRow& row : taken) {
    CANDOR_ASSIGN_OR_RETURN(StoredStreamProcessor p,
                            DecodeStreamProcessor(row, "the cluster's stream processors"));
    p.definition.arn = std::string(kStreamProcessorArnPrefix) + row.name;
    if (!p.open_session.empty()) CANDOR_RETURN_IF_ERROR(AuditInterruptedSession(p));
    Entry& entry = processors_[row.name];
    entry.stored = std::move(p);
    SessionCaller caller = entry.stored.caller;
    caller.source = "takeover";
    const Status started = StartLocked(entry, caller, /*ours=*/true).status();
    std::fprintf(stderr, "candor: took over stream processor %s from a node that stopped%s%s\n",
                 row.name.c_str(), started.ok() ? "" : ": could not start it: ",
                 started.ok() ? "" : started.ToString().c_str());
    if (!started.ok()) {
      const std::string message = "failed: could not take over: " + started.ToString();
      entry.stored.status = StreamProcessorStatus::kFailed;
      entry.stored.status_message = message;
      CANDOR_RETURN_IF_ERROR(
          shared_->EndRunning(row.name, options_.node, "FAILED", message, NowMs()).status());
    }
  }
  return static_cast<int64_t>(taken.size());
}

void StreamProcessorManager::LeaseLoop() {
  std::unique_lock lock(mutex_);
  while (!shut_down_) {
    lease_wake_.wait_for(lock, std::chrono::milliseconds(options_.lease_ms / 3));
    if (shut_down_) return;
    lock.unlock();
    auto kept = KeepLeases();
    if (!kept.ok()) {
      std::fprintf(stderr, "candor: cannot keep the stream processors' leases: %s\n",
                   kept.status().ToString().c_str());
    }
    lock.lock();
  }
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
  CANDOR_RETURN_IF_ERROR(SaveSession(name, ""));
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
  CANDOR_RETURN_IF_ERROR(SyncLocked());
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
  CANDOR_RETURN_IF_ERROR(shared_ ? shared_->Insert(EncodeStreamProcessor(stored))
                                 : store_->Insert(stored));
  processors_[d.name].stored = std::move(stored);
  return d;
}

StatusOr<StartedSession> StreamProcessorManager::StartLocked(Entry& entry,
                                                             const SessionCaller& caller,
                                                             bool ours) {
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
  if (!shared_) {
    CANDOR_RETURN_IF_ERROR(
        store_->UpdateStatus(d.name, StreamProcessorStatus::kRunning, "", caller, now));
  } else if (!ours) {
    CANDOR_ASSIGN_OR_RETURN(
        const bool claimed,
        shared_->Claim(d.name, options_.node, options_.lease_ms,
                       EncodeStreamProcessor({.caller = caller}).caller_json, now));
    if (!claimed) {
      return Status::ResourceInUse("stream processor " + d.name +
                                   " is RUNNING on another node; stop it first");
    }
  }
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
      [this, name](const std::string& event_json) {
        const Status saved = SaveSession(name, event_json);
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
  CANDOR_RETURN_IF_ERROR(SyncLocked());
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
  CANDOR_RETURN_IF_ERROR(SyncLocked());
  auto it = processors_.find(name);
  if (it == processors_.end()) return Status::NotFound("no stream processor named " + name);
  Entry& entry = it->second;
  if (!Active(entry) && shared_ && entry.stored.status == StreamProcessorStatus::kRunning) {
    // Running on another node: recorded here, ended there at its next
    // renewal (KeepLeases).
    CANDOR_ASSIGN_OR_RETURN(const bool stopped,
                            shared_->EndRunning(name, "", "STOPPED",
                                                "stopped by StopStreamProcessor", NowMs()));
    if (!stopped) return Status::ResourceInUse("stream processor " + name + " is not running");
    entry.stored.status = StreamProcessorStatus::kStopped;
    entry.stored.status_message = "stopped by StopStreamProcessor";
    return Status::Ok();
  }
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
  if (shared_) {
    CANDOR_RETURN_IF_ERROR(shared_
                               ->EndRunning(name, options_.node, "STOPPED",
                                            "stopped by StopStreamProcessor", now)
                               .status());
  } else {
    CANDOR_RETURN_IF_ERROR(store_->UpdateStatus(name, StreamProcessorStatus::kStopped,
                                                "stopped by StopStreamProcessor",
                                                entry.stored.caller, now));
  }
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
  const Status recorded =
      shared_ ? shared_->EndRunning(name, options_.node, "FAILED", message, now).status()
              : store_->UpdateStatus(name, StreamProcessorStatus::kFailed, message,
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
  CANDOR_RETURN_IF_ERROR(SyncLocked());
  auto it = processors_.find(name);
  if (it == processors_.end()) return Status::NotFound("no stream processor named " + name);
  StreamProcessorDefinition changed = it->second.stored.definition;
  change(changed.tags);
  if (changed.tags.size() > kMaxTagsPerResource) {
    return Status::ServiceQuotaExceeded("stream processor " + name + " would hold more than " +
                                        std::to_string(kMaxTagsPerResource) + " tags");
  }
  if (shared_) {
    CANDOR_RETURN_IF_ERROR(
        shared_->SaveExtras(name, EncodeStreamProcessor({.definition = changed}).extras_json));
  } else {
    CANDOR_RETURN_IF_ERROR(store_->SaveExtras(changed));
  }
  it->second.stored.definition.tags = std::move(changed.tags);
  return Status::Ok();
}

StatusOr<Tags> StreamProcessorManager::ListTags(const std::string& name) {
  std::lock_guard lock(mutex_);
  CANDOR_RETURN_IF_ERROR(SyncLocked());
  auto it = processors_.find(name);
  if (it == processors_.end()) return Status::NotFound("no stream processor named " + name);
  return it->second.stored.definition.tags;
}

StatusOr<StreamProcessorInfo> StreamProcessorManager::Describe(const std::string& name) {
  std::lock_guard lock(mutex_);
  CANDOR_RETURN_IF_ERROR(SyncLocked());
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
  CANDOR_RETURN_IF_ERROR(SyncLocked());
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
  CANDOR_RETURN_IF_ERROR(SyncLocked());
  auto it = processors_.find(name);
  if (it == processors_.end()) return Status::NotFound("no stream processor named " + name);
  if (Active(it->second)) {
    return Status::ResourceInUse("stream processor " + name + " is " +
                            std::string(StatusName(it->second.session->snapshot().status)) +
                            "; stop it before deleting it");
  }
  CANDOR_RETURN_IF_ERROR(shared_ ? shared_->Delete(name) : store_->Delete(name));
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
  lease_wake_.notify_all();
  if (lease_keeper_.joinable()) lease_keeper_.join();
  // Outside the lock: an ending session calls OnSessionEnd, which takes it.
  for (StreamSession* s : sessions) s->Join();
}

}  // namespace candor::video
