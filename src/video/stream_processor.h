// Stream processors: Rekognition's CreateStreamProcessor,
// StartStreamProcessor, StopStreamProcessor, DescribeStreamProcessor,
// ListStreamProcessors and DeleteStreamProcessor, searching the faces of a
// live stream in a collection.
//
// Mapping of Rekognition's Kinesis names (Candor has no Kinesis):
//   Input.KinesisVideoStream.Arn  the URL of the live stream, read with
//       OpenCV/FFmpeg: rtsp://, rtsps://, rtmp://, http://, https://,
//       udp://, tcp://, srt:// (never a local file: stored video is
//       StartFaceSearch's job).
//   Output.KinesisDataStream.Arn  where the face-search records go:
//       file:///path (inside the operator's --stream-output-dir) or
//       http://host:port/path (stream_processor_sink.h).
//   Settings.FaceSearch.{CollectionId, FaceMatchThreshold}  as
//       SearchFacesByImage: the collection's policy applies at every start
//       (threshold raised to the floor or the start refused, a reason when
//       required, matches per search capped by MaxFaces); a policy changed
//       during a session applies from its next start.
//   StreamProcessorArn  arn:aws:rekognition:candor:000000000000:streamprocessor/<Name>.
//
// Status: STOPPED after Create and after a session ends; STARTING from
// StartStreamProcessor to the first frame; RUNNING from then on, also while
// the stream is being reconnected (StatusMessage and the Candor session
// fields say so); STOPPING from StopStreamProcessor until the session's
// thread has ended (Stop returns at once); FAILED when a session ended on an
// error that is not retried (see stream_processor_session.h).
//
// Persistence: definitions and the status they were left in live in
// <data-dir>/stream_processors.db. A processor whose session was running
// when the service stopped (shutdown, crash or kill) is started again when
// the service opens it (StreamProcessorManagerOptions::restart_running),
// with a new SessionId, on behalf of the caller who started it (source
// "restart"), the policy applied afresh. The interrupted session's audit
// record was written at shutdown (EndedBy "ServiceShutdown"); after a crash
// it is appended here from the session's last checkpoint (EndedBy
// "ServiceCrash", Incomplete: true; matches after that checkpoint, at most
// kCheckpointSeconds of them, are missing). Open fails if the audit log
// refuses it: no session goes unaudited.
//
// On a cluster (`candor serve --store postgresql://...`, shared_store set)
// the definitions and states are the database's
// (store/pg_stream_processors.h), and every call reads them first, so that
// Create, Describe, List, Tag, Start, Stop and Delete on any node see every
// node's processors. Which node runs a RUNNING processor: the one whose
// StartStreamProcessor claimed it (the row's node, with a lease of lease_ms,
// renewed every lease_ms / 3). StopStreamProcessor on another node records
// STOPPED at once; the running node sees it at its next renewal and ends
// the session. When a node stops without ending its sessions (kill -9, a
// shutdown, a lost database) and a lease runs out, another node takes the
// processor over at its next renewal (each takes up to its max_running):
// it appends the interrupted session's audit record from its last
// checkpoint (EndedBy "ServiceCrash", Incomplete) and starts a session
// (source "takeover"). A node that starts again within its leases
// restarts its own RUNNING processors, as with the file. Describe on a node
// that does not run the session shows the stored status, without the
// session's counters.
//
// Thread safety: all methods may be called concurrently.
#ifndef CANDOR_VIDEO_STREAM_PROCESSOR_H_
#define CANDOR_VIDEO_STREAM_PROCESSOR_H_

#include <condition_variable>
#include <functional>
#include <thread>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "candor/status.h"
#include "video/stream_processor_session.h"
#include "video/stream_processor_store.h"
#include "video/stream_processor_types.h"

namespace candor::video {

struct StreamProcessorManagerOptions {
  std::string db_path;  // <data-dir>/stream_processors.db
  // A cluster's database (a libpq connection string): the processors are
  // its, db_path is not used; `node` names this node in the leases (the
  // same across restarts: server::JournalNode).
  std::string shared_store;
  std::string node;
  int64_t lease_ms = 30000;
  AnalyzerFactory analyzer_factory;
  // For the policy of the searched collection; must outlive the manager.
  Collections* collections = nullptr;
  // Null: sessions are not audited (tests of the lifecycle only).
  audit::AuditLog* audit = nullptr;
  SessionOptions session;
  int max_processors = 100;  // defined (Rekognition's default quota is 128)
  int max_running = 8;       // sessions at once (each decodes and analyses a stream)
  bool restart_running = true;
};

struct StreamProcessorInfo {
  StreamProcessorDefinition definition;
  StreamProcessorStatus status = StreamProcessorStatus::kStopped;
  std::string status_message;
  std::optional<SessionStats> session;  // the current or last session since the service started
};

struct StreamProcessorPage {
  std::vector<StreamProcessorInfo> processors;
  std::string next_token;
};

struct StartedSession {
  std::string session_id;
  SessionPolicy policy;
};

class StreamProcessorManager {
 public:
  // Opens (or creates) the store and restarts the processors left running.
  static StatusOr<std::unique_ptr<StreamProcessorManager>> Open(
      StreamProcessorManagerOptions options);
  // Shutdown().
  ~StreamProcessorManager();

  // InvalidArgument for bad URLs or threshold, NotFound for a missing
  // collection, ResourceInUse for a name taken, LimitExceeded past
  // max_processors. Returns the definition as stored (Arn, timestamps).
  StatusOr<StreamProcessorDefinition> Create(StreamProcessorDefinition definition);
  // NotFound; ResourceInUse unless STOPPED or FAILED; Throttling past
  // max_running; the policy's PermissionDenied.
  StatusOr<StartedSession> Start(const std::string& name, const SessionCaller& caller);
  // NotFound; ResourceInUse unless STARTING or RUNNING. Returns at once
  // (STOPPING).
  Status Stop(const std::string& name);
  StatusOr<StreamProcessorInfo> Describe(const std::string& name);
  // max_results 1..1000 (0: 1000); next_token from a previous page.
  StatusOr<StreamProcessorPage> List(const std::string& next_token, int max_results);
  // NotFound; ResourceInUse while a session is running or stopping.
  Status Delete(const std::string& name);
  // Tags (TagResource, UntagResource, ListTagsForResource on the ARN):
  // NotFound; ServiceQuotaExceeded, and nothing changed, beyond
  // kMaxTagsPerResource. Keys and values are the caller's to check.
  Status Tag(const std::string& name, const Tags& tags);
  Status Untag(const std::string& name, const std::vector<std::string>& keys);
  StatusOr<Tags> ListTags(const std::string& name);

  // Ends every session (each audited, EndedBy "ServiceShutdown") and waits
  // for them, leaving their RUNNING status stored so that they restart with
  // the service. Later calls are refused. Idempotent.
  void Shutdown();

  // The policy of `collection_id` applied to a face-search of `requested`
  // percent by a caller giving `reason`, as SearchFacesByImage applies it.
  // On a cluster: renews this node's leases, ends the sessions whose
  // processors another node stopped, and takes over those whose leases ran
  // out, now (a thread does it every lease_ms / 3); how many it took over.
  StatusOr<int64_t> KeepLeases();

  static StatusOr<SessionPolicy> ApplyPolicy(const CollectionPolicy& policy, float requested,
                                             const std::string& reason,
                                             const std::string& collection_id);

 private:
  struct Entry {
    StoredStreamProcessor stored;
    std::unique_ptr<StreamSession> session;  // the current or last session
  };

  explicit StreamProcessorManager(StreamProcessorManagerOptions options);
  // Under mutex_. Starts a session of `entry`.
  Status ChangeTags(const std::string& name, const std::function<void(Tags&)>& change);
  // `ours`: on a cluster, the row is RUNNING on this node already (a restart,
  // a takeover), so it is not claimed again.
  StatusOr<StartedSession> StartLocked(Entry& entry, const SessionCaller& caller,
                                       bool ours = false);
  // On a cluster, under mutex_: processors_ made to agree with the database
  // (sessions running here keep their entries).
  Status SyncLocked();
  Status SaveSession(const std::string& name, const std::string& session_json);
  void LeaseLoop();
  StreamProcessorInfo InfoLocked(const Entry& entry) const;
  // Called on a session's thread when it ends.
  void OnSessionEnd(const std::string& name, SessionEnd end, const Status& error);
  static bool Active(const Entry& entry);
  // Appends the last checkpoint of a session the service died in (EndedBy
  // "ServiceCrash", Incomplete) and clears it.
  Status AuditInterruptedSession(StoredStreamProcessor& p);

  const StreamProcessorManagerOptions options_;
  std::unique_ptr<StreamProcessorStore> store_;              // the file; null on a cluster
  std::unique_ptr<store::PgStreamProcessors> shared_;        // the cluster's; null with a file
  std::thread lease_keeper_;                                 // on a cluster
  std::condition_variable lease_wake_;

  mutable std::mutex mutex_;  // guards what follows
  std::map<std::string, Entry> processors_;
  bool shut_down_ = false;
};

}  // namespace candor::video

#endif  // CANDOR_VIDEO_STREAM_PROCESSOR_H_
