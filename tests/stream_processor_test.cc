// Stream processors with a scripted (fake) VideoAnalyzer: the lifecycle and
// its status (STOPPED, STARTING, RUNNING, STOPPING, FAILED), records in the
// sink (file and HTTP), reconnection with backoff reported in Describe,
// giving up after too many failures, the collection's policy at Start, the
// audit record of each session, persistence and restart of running
// processors, refused store files, and the operations through RunOperation
// (roles, audit). The real analyzer on a live stream is in
// stream_processor_e2e_test.cc.
#include "video/stream_processor.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "collections_fixture.h"
#include "server/operations.h"
#include "test_support.h"

namespace candor {
namespace {

using nlohmann::json;
using video::StreamProcessorStatus;
namespace fs = std::filesystem;

// What the fake stream does when an analyzer connects to it.
struct FakeWorld {
  std::atomic<bool> up{true};       // frames flow; false: Run fails at once (unreachable)
  std::atomic<bool> stall{false};   // while up: Run returns IOError (a stall)
  std::atomic<int> runs{0};         // Run calls
  std::atomic<int64_t> dropped{0};  // frames_dropped reported
  std::mutex mutex;
  std::vector<VideoOptions> options;  // of every analyzer made
};

class FakeAnalyzer : public VideoAnalyzer {
 public:
  explicit FakeAnalyzer(FakeWorld* world) : world_(world) {}
  StatusOr<VideoSummary> Run(const std::string& source, const VideoObserver& observer,
                             const std::atomic<bool>* cancel) override {
    ++world_->runs;
    if (!world_->up) return Status::InvalidArgument("cannot open " + source);
    VideoProgress p;
    int64_t frame = 0;
    while (!cancel->load()) {
      if (!world_->up || world_->stall) return Status::IOError("no frame for 2 s: stalled");
      ++frame;
      p.frames_read = frame;
      p.frames_analysed = frame;
      p.frames_dropped = world_->dropped;
      p.position_ms = frame * 40;
      p.analysis_fps = 25;
      if (observer.on_progress) observer.on_progress(p);
      if (frame % 5 == 0 && observer.on_match) {
        VideoTrackMatch m;
        m.timestamp_ms = p.position_ms;
        m.track_index = frame / 5;
        m.face.box = {0.25f, 0.25f, 0.2f, 0.3f};
        m.face.confidence = 99;
        m.faces_searched = 2;
        SearchMatch a;
        a.face.face_id = frame % 10 == 0 ? "face-b" : "face-a";
        a.face.external_image_id = a.face.face_id == "face-a" ? "alice" : "bob";
        a.similarity = 99.5f;
        m.matches.push_back(a);
        observer.on_match(m);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return VideoSummary{{}, p};
  }

 private:
  FakeWorld* world_;
};

class StreamProcessorTest : public testing::CollectionsFixture {
 protected:
  void SetUp() override {
    CollectionsFixture::SetUp();
    ASSERT_TRUE(collections_->CreateCollection("people").ok());
    audit::AuditOptions a;
    a.path = dir_ + "/audit.db";
    a.key_path = dir_ + "/audit.key";
    auto log = audit::AuditLog::Open(a);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    audit_ = std::move(log).value();
    fs::create_directories(out_dir_);
    OpenManager();
  }
  void TearDown() override {
    manager_.reset();
    audit_.reset();
    CollectionsFixture::TearDown();
  }

  video::StreamProcessorManagerOptions Options() {
    video::StreamProcessorManagerOptions o;
    o.db_path = dir_ + "/stream_processors.db";
    o.collections = collections_.get();
    o.audit = audit_.get();
    o.session.file_sink_root = out_dir_;
    o.session.reconnect_initial_ms = 20;
    o.session.reconnect_max_ms = 200;
    FakeWorld* world = &world_;
    o.analyzer_factory =
        [world](const VideoOptions& options) -> StatusOr<std::unique_ptr<VideoAnalyzer>> {
      std::lock_guard lock(world->mutex);
      world->options.push_back(options);
      return std::unique_ptr<VideoAnalyzer>(new FakeAnalyzer(world));
    };
    return o;
  }
  void OpenManager(int max_failures = 0) {
    manager_.reset();
    auto o = Options();
    o.session.max_consecutive_failures = max_failures;
    auto m = video::StreamProcessorManager::Open(o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manager_ = std::move(m).value();
  }

  video::StreamProcessorDefinition Definition(const std::string& name) {
    video::StreamProcessorDefinition d;
    d.name = name;
    d.input_url = "udp://127.0.0.1:5000";
    d.output_url = "file://" + out_dir_ + "/" + name + ".jsonl";
    d.collection_id = "people";
    d.face_match_threshold = 99;
    return d;
  }

  // Polls Describe until `pred` holds (5 s at most).
  video::StreamProcessorInfo WaitFor(
      const std::string& name, const std::function<bool(const video::StreamProcessorInfo&)>& pred) {
    video::StreamProcessorInfo info;
    for (int i = 0; i < 500; ++i) {
      auto d = manager_->Describe(name);
      EXPECT_TRUE(d.ok()) << d.status().ToString();
      if (!d.ok()) return info;
      info = *d;
      if (pred(info)) return info;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "timed out; status " << video::StatusName(info.status) << ": "
                  << info.status_message;
    return info;
  }

  std::vector<json> Records(const std::string& name) {
    std::vector<json> out;
    std::ifstream in(out_dir_ + "/" + name + ".jsonl");
    std::string line;
    while (std::getline(in, line)) out.push_back(json::parse(line));
    return out;
  }

  std::vector<audit::AuditEvent> Audited(const std::string& operation) {
    audit::AuditQuery q;
    q.operation = operation;
    q.max_results = 1000;
    auto page = audit_->Query(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->events : std::vector<audit::AuditEvent>{};
  }

  const std::string out_dir_ = dir_ + "/events";
  FakeWorld world_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<video::StreamProcessorManager> manager_;
};

bool Running(const video::StreamProcessorInfo& i) {
  return i.status == StreamProcessorStatus::kRunning;
}
bool Stopped(const video::StreamProcessorInfo& i) {
  return i.status == StreamProcessorStatus::kStopped;
}

TEST_F(StreamProcessorTest, LifecycleWritesRecordsAndAuditsTheSession) {
  auto created = manager_->Create(Definition("door"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->arn, "arn:aws:rekognition:candor:000000000000:streamprocessor/door");
  EXPECT_GT(created->created_ms, 0);
  EXPECT_EQ(manager_->Describe("door")->status, StreamProcessorStatus::kStopped);
  EXPECT_FALSE(manager_->Describe("door")->session.has_value());

  world_.dropped = 7;
  auto started = manager_->Start("door", {"alice", "10.0.0.1", "req-1", "case 42"});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->session_id.size(), 36u);
  auto info = WaitFor("door", [](const auto& i) { return Running(i) && i.session->searches >= 4; });
  ASSERT_TRUE(info.session.has_value());
  EXPECT_EQ(info.session->stream_state, "STREAMING");
  EXPECT_EQ(info.session->session_id, started->session_id);
  EXPECT_EQ(info.session->frames_dropped, 7);
  EXPECT_EQ(info.session->processing_fps, 25);
  EXPECT_GE(info.session->events_written, 1);

  // A second Start and a Delete while it runs are refused, and change nothing.
  EXPECT_EQ(manager_->Start("door", {}).status().code(), StatusCode::kResourceInUse);
  EXPECT_EQ(manager_->Delete("door").code(), StatusCode::kResourceInUse);
  EXPECT_EQ(manager_->Describe("door")->session->session_id, started->session_id);

  ASSERT_TRUE(manager_->Stop("door").ok());
  info = WaitFor("door", Stopped);
  EXPECT_EQ(info.session->stream_state, "ENDED");
  EXPECT_EQ(manager_->Stop("door").code(), StatusCode::kResourceInUse);
  const int64_t written = info.session->events_written;

  // The records: Rekognition's Kinesis face-search shape, every one written.
  const std::vector<json> records = Records("door");
  ASSERT_EQ(static_cast<int64_t>(records.size()), written);
  std::set<std::string> face_ids;
  for (const json& r : records) {
    EXPECT_EQ(r["InputInformation"]["KinesisVideo"]["StreamArn"], "udp://127.0.0.1:5000");
    EXPECT_EQ(r["StreamProcessorInformation"]["Status"], "RUNNING");
    EXPECT_EQ(r["StreamProcessorInformation"]["SessionId"], started->session_id);
    ASSERT_EQ(r["FaceSearchResponse"].size(), 1u);
    const json& f = r["FaceSearchResponse"][0];
    EXPECT_NEAR(f["DetectedFace"]["BoundingBox"]["Left"].get<double>(), 0.25, 1e-6);
    ASSERT_EQ(f["MatchedFaces"].size(), 1u);
    EXPECT_EQ(f["MatchedFaces"][0]["Similarity"], 99.5);
    face_ids.insert(f["MatchedFaces"][0]["Face"]["FaceId"].get<std::string>());
  }
  EXPECT_EQ(face_ids, (std::set<std::string>{"face-a", "face-b"}));
  // Nothing is written after the stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Records("door").size(), records.size());

  // One audit record for the session, with the caller and what matched.
  const auto sessions = Audited("StreamProcessorSession");
  ASSERT_EQ(sessions.size(), 1u);
  const audit::AuditEvent& e = sessions[0];
  EXPECT_EQ(e.principal, "alice");
  EXPECT_EQ(e.reason, "case 42");
  EXPECT_EQ(e.request_id, "req-1");
  EXPECT_EQ(e.collection_id, "people");
  EXPECT_EQ(e.outcome, "ok");
  EXPECT_EQ(e.threshold_applied, 99);
  EXPECT_EQ(e.results["SessionId"], started->session_id);
  EXPECT_EQ(e.results["EndedBy"], "StopStreamProcessor");
  ASSERT_EQ(e.results["FaceMatches"].size(), 2u);
  EXPECT_EQ(e.results["FaceMatches"][0]["FaceId"], "face-a");
  EXPECT_GE(e.results["FaceMatches"][0]["Count"].get<int>(), 1);
  EXPECT_EQ(e.results["Searches"].get<int64_t>(), static_cast<int64_t>(records.size()));

  // Started again: a new session; then deleted.
  auto again = manager_->Start("door", {"alice", "", "", ""});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_NE(again->session_id, started->session_id);
  WaitFor("door", Running);
  ASSERT_TRUE(manager_->Stop("door").ok());
  WaitFor("door", Stopped);
  ASSERT_TRUE(manager_->Delete("door").ok());
  EXPECT_EQ(manager_->Describe("door").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Audited("StreamProcessorSession").size(), 2u);
}

TEST_F(StreamProcessorTest, RefusesBadDefinitionsAndChangesNothing) {
  ASSERT_TRUE(manager_->Create(Definition("a")).ok());
  auto d = Definition("a");
  EXPECT_EQ(manager_->Create(d).status().code(), StatusCode::kResourceInUse);
  d = Definition("b");
  d.collection_id = "missing";
  EXPECT_EQ(manager_->Create(d).status().code(), StatusCode::kNotFound);
  for (const std::string& url :
       std::vector<std::string>{"/etc/passwd", "file:///etc/passwd", "ftp://x", "udp://",
                                std::string("udp://a b"), std::string(3000, 'u')}) {
    d = Definition("b");
    d.input_url = url;
    EXPECT_EQ(manager_->Create(d).status().code(), StatusCode::kInvalidArgument) << url;
  }
  for (const std::string& url : std::vector<std::string>{
           "file:///etc/candor.jsonl", "file://" + out_dir_ + "/../escape.jsonl", "file://relative",
           "https://example.com/x", "http://", "http://host:0/", "http://host:99999/",
           "http://user@host/", "kinesis://stream", "file://" + out_dir_ + "/nodir/x.jsonl",
           "file://" + out_dir_ + "/"}) {
    d = Definition("b");
    d.output_url = url;
    EXPECT_EQ(manager_->Create(d).status().code(), StatusCode::kInvalidArgument) << url;
  }
  for (const std::string& name : {std::string(), std::string("a/b"), std::string(129, 'n')}) {
    EXPECT_EQ(manager_->Create(Definition(name)).status().code(), StatusCode::kInvalidArgument);
  }
  d = Definition("b");
  d.face_match_threshold = 101;
  EXPECT_EQ(manager_->Create(d).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Start("nobody", {}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(manager_->Stop("nobody").code(), StatusCode::kNotFound);
  EXPECT_EQ(manager_->Delete("nobody").code(), StatusCode::kNotFound);
  EXPECT_EQ(manager_->List("garbage", 10).status().code(), StatusCode::kInvalidPaginationToken);
  EXPECT_EQ(manager_->List("", 1001).status().code(), StatusCode::kInvalidArgument);
  auto page = manager_->List("", 0);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->processors.size(), 1u);
  EXPECT_EQ(page->processors[0].definition.name, "a");
  EXPECT_FALSE(fs::exists(out_dir_ + "/a.jsonl"));  // nothing opened before Start
}

TEST_F(StreamProcessorTest, ListPagesByName) {
  for (const char* name : {"c", "a", "b"}) ASSERT_TRUE(manager_->Create(Definition(name)).ok());
  auto first = manager_->List("", 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->processors.size(), 2u);
  EXPECT_EQ(first->processors[1].definition.name, "b");
  ASSERT_FALSE(first->next_token.empty());
  auto second = manager_->List(first->next_token, 2);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->processors.size(), 1u);
  EXPECT_EQ(second->processors[0].definition.name, "c");
  EXPECT_TRUE(second->next_token.empty());
}

TEST_F(StreamProcessorTest, ReconnectsWithBackoffAndReportsIt) {
  ASSERT_TRUE(manager_->Create(Definition("cam")).ok());
  ASSERT_TRUE(manager_->Start("cam", {"alice", "", "", ""}).ok());
  WaitFor("cam", Running);
  // The source goes away: the processor stays RUNNING, says it is
  // reconnecting, and counts the attempts.
  world_.up = false;
  auto info = WaitFor("cam", [](const auto& i) {
    return i.session->stream_state == "RECONNECTING" && i.session->reconnects >= 3;
  });
  EXPECT_EQ(info.status, StreamProcessorStatus::kRunning);
  EXPECT_NE(info.status_message.find("reconnecting to udp://127.0.0.1:5000"), std::string::npos)
      << info.status_message;
  EXPECT_NE(info.session->last_error.find("cannot open"), std::string::npos);
  EXPECT_GT(info.session->last_error_ms, 0);
  EXPECT_GE(info.session->consecutive_failures, 3);
  // Backoff: 20, 40, 80, 160, 200 ms..., so 500 ms hold far fewer attempts
  // than a busy loop would make.
  const int runs = world_.runs;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_LE(world_.runs - runs, 5);
  // It comes back: streaming again, on a new connection.
  world_.up = true;
  info = WaitFor("cam", [](const auto& i) {
    return i.session->stream_state == "STREAMING" && i.session->connections == 2;
  });
  EXPECT_EQ(info.status, StreamProcessorStatus::kRunning);
  EXPECT_NE(info.status_message.find("reconnections"), std::string::npos) << info.status_message;
  // A stall mid-stream is reported the same way.
  world_.stall = true;
  info = WaitFor("cam", [](const auto& i) { return i.session->stream_state == "RECONNECTING"; });
  EXPECT_NE(info.session->last_error.find("stalled"), std::string::npos);
  world_.stall = false;
  WaitFor("cam", [](const auto& i) { return i.session->connections == 3; });
  ASSERT_TRUE(manager_->Stop("cam").ok());
  info = WaitFor("cam", Stopped);
  const auto sessions = Audited("StreamProcessorSession");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_GE(sessions[0].results["Reconnects"].get<int>(), 4);
}

TEST_F(StreamProcessorTest, StopWhileReconnectingIsPrompt) {
  OpenManager();
  world_.up = false;
  ASSERT_TRUE(manager_->Create(Definition("cam")).ok());
  ASSERT_TRUE(manager_->Start("cam", {}).ok());
  auto info = WaitFor("cam", [](const auto& i) { return i.session->reconnects >= 1; });
  EXPECT_EQ(info.status, StreamProcessorStatus::kStarting);  // never connected yet
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(manager_->Stop("cam").ok());
  WaitFor("cam", Stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
}

TEST_F(StreamProcessorTest, FailsAfterTooManyFailuresAndRemembers) {
  OpenManager(/*max_failures=*/3);
  world_.up = false;
  ASSERT_TRUE(manager_->Create(Definition("cam")).ok());
  ASSERT_TRUE(manager_->Start("cam", {"alice", "", "", ""}).ok());
  auto info =
      WaitFor("cam", [](const auto& i) { return i.status == StreamProcessorStatus::kFailed; });
  EXPECT_NE(info.status_message.find("gave up after 3 reconnection attempts"), std::string::npos)
      << info.status_message;
  EXPECT_EQ(world_.runs, 4);
  const auto sessions = Audited("StreamProcessorSession");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].outcome, "IOErrorException");
  EXPECT_EQ(sessions[0].results["EndedBy"], "Failure");
  // FAILED survives a restart (and is not restarted); it may be started again.
  OpenManager(3);
  info = *manager_->Describe("cam");
  EXPECT_EQ(info.status, StreamProcessorStatus::kFailed);
  EXPECT_FALSE(info.session.has_value());
  EXPECT_EQ(world_.runs, 4);
  world_.up = true;
  ASSERT_TRUE(manager_->Start("cam", {}).ok());
  WaitFor("cam", Running);
}

TEST_F(StreamProcessorTest, FailsWhenItsSinkCannotBeOpened) {
  auto d = Definition("cam");
  fs::create_directories(out_dir_ + "/gone");
  d.output_url = "file://" + out_dir_ + "/gone/cam.jsonl";
  ASSERT_TRUE(manager_->Create(d).ok());
  const int64_t created = manager_->Describe("cam")->definition.updated_ms;
  fs::remove_all(out_dir_ + "/gone");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(manager_->Start("cam", {"alice", "", "", ""}).ok());
  auto info =
      WaitFor("cam", [](const auto& i) { return i.status == StreamProcessorStatus::kFailed; });
  EXPECT_NE(info.status_message.find("file sink"), std::string::npos) << info.status_message;
  EXPECT_GT(info.definition.updated_ms, created);
  EXPECT_EQ(world_.runs, 0);  // the stream was never opened
  const auto sessions = Audited("StreamProcessorSession");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].outcome, "InvalidParameterException");
}

TEST_F(StreamProcessorTest, AppliesTheCollectionPolicyAtStart) {
  CollectionPolicy policy;
  policy.threshold_floor = 99.5f;
  policy.max_faces = 3;
  policy.purpose = "door access";
  ASSERT_TRUE(collections_->PutCollectionPolicy("people", policy).ok());
  auto d = Definition("cam");
  d.face_match_threshold = 80;
  ASSERT_TRUE(manager_->Create(d).ok());
  auto started = manager_->Start("cam", {"alice", "", "", ""});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->policy.threshold_requested, 80);
  EXPECT_EQ(started->policy.threshold_applied, 99.5f);
  EXPECT_EQ(started->policy.max_matches, 3);
  EXPECT_EQ(started->policy.purpose, "door access");
  WaitFor("cam", Running);
  {
    std::lock_guard lock(world_.mutex);
    ASSERT_FALSE(world_.options.empty());
    EXPECT_EQ(world_.options.back().face_match_threshold, 99.5f);
    EXPECT_EQ(world_.options.back().max_matches, 3);
    EXPECT_EQ(world_.options.back().collection_id, "people");
    EXPECT_TRUE(world_.options.back().live);
  }
  ASSERT_TRUE(manager_->Stop("cam").ok());
  WaitFor("cam", Stopped);

  // Refused below the floor, or without a reason: nothing starts.
  policy.refuse_below_floor = true;
  ASSERT_TRUE(collections_->PutCollectionPolicy("people", policy).ok());
  EXPECT_EQ(manager_->Start("cam", {"alice", "", "", ""}).status().code(),
            StatusCode::kPermissionDenied);
  policy.refuse_below_floor = false;
  policy.reason_required = true;
  ASSERT_TRUE(collections_->PutCollectionPolicy("people", policy).ok());
  EXPECT_EQ(manager_->Start("cam", {"alice", "", "", ""}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->Describe("cam")->status, StreamProcessorStatus::kStopped);
  EXPECT_TRUE(manager_->Start("cam", {"alice", "", "", "case 7"}).ok());
  WaitFor("cam", Running);
}

TEST_F(StreamProcessorTest, PersistsAndRestartsRunningProcessors) {
  ASSERT_TRUE(manager_->Create(Definition("on")).ok());
  ASSERT_TRUE(manager_->Create(Definition("off")).ok());
  auto first = manager_->Start("on", {"alice", "10.0.0.1", "req-9", "case 1"});
  ASSERT_TRUE(first.ok());
  WaitFor("on", Running);
  manager_.reset();  // the service stops
  auto sessions = Audited("StreamProcessorSession");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].results["EndedBy"], "ServiceShutdown");

  OpenManager();
  auto on = WaitFor("on", Running);
  EXPECT_NE(on.session->session_id, first->session_id);
  EXPECT_EQ(on.definition.input_url, "udp://127.0.0.1:5000");
  EXPECT_EQ(on.definition.face_match_threshold, 99);
  EXPECT_EQ(manager_->Describe("off")->status, StreamProcessorStatus::kStopped);
  ASSERT_TRUE(manager_->Stop("on").ok());
  WaitFor("on", Stopped);
  sessions = Audited("StreamProcessorSession");
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[1].principal, "alice");
  EXPECT_EQ(sessions[1].source, "restart");
  EXPECT_EQ(sessions[1].reason, "case 1");

  // Stopped stays stopped across a restart.
  OpenManager();
  EXPECT_EQ(manager_->Describe("on")->status, StreamProcessorStatus::kStopped);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(manager_->Describe("on")->status, StreamProcessorStatus::kStopped);
}

// kill -9 during a session: the files as they were mid-session are put back
// (a copy taken while it ran), and opening them appends the session's audit
// record from its last checkpoint, once.
TEST_F(StreamProcessorTest, AuditsASessionTheServiceDiedIn) {
  ASSERT_TRUE(manager_->Create(Definition("cam")).ok());
  auto started = manager_->Start("cam", {"alice", "10.0.0.2", "req-5", "case 5"});
  ASSERT_TRUE(started.ok());
  // Both FaceIds matched: each new one is checkpointed at once.
  WaitFor("cam", [](const auto& i) { return i.session->searches >= 4; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const std::string db = dir_ + "/stream_processors.db";
  const std::string saved = dir_ + "/crash-copy";
  fs::create_directories(saved);
  for (const char* suffix : {"", "-wal"}) {
    if (fs::exists(db + suffix)) fs::copy_file(db + suffix, saved + "/db" + suffix);
  }
  ASSERT_TRUE(manager_->Stop("cam").ok());
  WaitFor("cam", Stopped);
  manager_.reset();
  ASSERT_EQ(Audited("StreamProcessorSession").size(), 1u);

  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix);
  for (const char* suffix : {"", "-wal"}) {
    if (fs::exists(saved + "/db" + suffix)) fs::copy_file(saved + "/db" + suffix, db + suffix);
  }
  OpenManager();
  auto sessions = Audited("StreamProcessorSession");
  ASSERT_EQ(sessions.size(), 2u);
  const audit::AuditEvent& e = sessions[1];
  EXPECT_EQ(e.results["EndedBy"], "ServiceCrash");
  EXPECT_EQ(e.results["Incomplete"], true);
  EXPECT_EQ(e.results["SessionId"], started->session_id);
  EXPECT_EQ(e.principal, "alice");
  EXPECT_EQ(e.reason, "case 5");
  EXPECT_EQ(e.request_id, "req-5");
  EXPECT_EQ(e.threshold_applied, 99);
  std::set<std::string> ids;
  for (const json& m : e.results["FaceMatches"]) ids.insert(m["FaceId"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{"face-a", "face-b"}));
  // It was running at the crash: restarted, on a new session.
  auto info = WaitFor("cam", Running);
  EXPECT_NE(info.session->session_id, started->session_id);
  ASSERT_TRUE(manager_->Stop("cam").ok());
  WaitFor("cam", Stopped);
  // Recorded once: opening again adds nothing.
  OpenManager();
  EXPECT_EQ(Audited("StreamProcessorSession").size(), 3u);
}

TEST_F(StreamProcessorTest, RefusesAFileThatIsNotOurs) {
  manager_.reset();
  const std::string path = dir_ + "/stream_processors.db";
  fs::remove(path);
  {
    std::ofstream(path) << "this is not a database at all, not even close to one........"
                           "......................................................";
  }
  const std::string before = testing::ReadFile(path);
  auto m = video::StreamProcessorManager::Open(Options());
  EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << m.status().ToString();
  EXPECT_EQ(testing::ReadFile(path), before);
  // Another SQLite file (the face store's) is refused too, unchanged.
  auto o = Options();
  fs::path store_file;
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path().extension() == ".db" && e.path().filename() != "audit.db" &&
        e.path().filename() != "stream_processors.db") {
      store_file = e.path();
    }
  }
  ASSERT_FALSE(store_file.empty());
  o.db_path = store_file.string();
  m = video::StreamProcessorManager::Open(o);
  EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << m.status().ToString();
}

// A one-shot HTTP endpoint on loopback: records the bodies POSTed to it.
class TinyHttpSink {
 public:
  TinyHttpSink() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyHttpSink() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string in;
      char buf[4096];
      size_t want = std::string::npos;
      while (true) {
        const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
        const size_t end = in.find("\r\n\r\n");
        if (end != std::string::npos && want == std::string::npos) {
          const size_t cl = in.find("Content-Length: ");
          want = end + 4 + std::stoul(in.substr(cl + 16));
        }
        if (want != std::string::npos && in.size() >= want) break;
      }
      const std::string reply = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
      std::lock_guard lock(mutex_);
      if (in.rfind("POST /events HTTP/1.1\r\n", 0) == 0 && want != std::string::npos) {
        bodies_.push_back(in.substr(in.find("\r\n\r\n") + 4));
      }
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> bodies_;
};

TEST_F(StreamProcessorTest, PostsRecordsToAnHttpSink) {
  auto sink = std::make_unique<TinyHttpSink>();
  auto d = Definition("web");
  d.output_url = "http://127.0.0.1:" + std::to_string(sink->port()) + "/events";
  ASSERT_TRUE(manager_->Create(d).ok());
  ASSERT_TRUE(manager_->Start("web", {}).ok());
  WaitFor("web", [](const auto& i) { return Running(i) && i.session->events_written >= 3; });
  ASSERT_TRUE(manager_->Stop("web").ok());
  auto info = WaitFor("web", Stopped);
  int64_t lines = 0;
  for (const std::string& body : sink->bodies()) {
    size_t start = 0;
    for (size_t nl; (nl = body.find('\n', start)) != std::string::npos; start = nl + 1) {
      const json r = json::parse(body.substr(start, nl - start));
      EXPECT_TRUE(r.contains("FaceSearchResponse"));
      ++lines;
    }
  }
  EXPECT_EQ(lines, info.session->events_written);
  EXPECT_EQ(info.session->sink_error, "");

  // The endpoint goes away: the session runs on and says so.
  const int port = sink->port();
  sink.reset();
  (void)port;
  ASSERT_TRUE(manager_->Start("web", {}).ok());
  info = WaitFor("web", [](const auto& i) { return !i.session->sink_error.empty(); });
  EXPECT_EQ(info.status, StreamProcessorStatus::kRunning);
  EXPECT_NE(info.session->sink_error.find("cannot connect"), std::string::npos);
  ASSERT_TRUE(manager_->Stop("web").ok());
  info = WaitFor("web", Stopped);
  EXPECT_GT(info.session->events_dropped, 0);
}

// Through RunOperation: the wire shapes, the roles and the audit records.
TEST_F(StreamProcessorTest, OperationsThroughRunOperation) {
  server::ServiceContext service;
  service.engine = engine_;
  service.collections = collections_.get();
  service.audit = audit_.get();
  service.stream_processors = manager_.get();
  auto call = [&](std::vector<policy::Role> roles, const std::string& reason = "") {
    return server::CallContext{"alice", std::move(roles), "127.0.0.1", "r-1", reason};
  };
  const json create = {
      {"Name", "lobby"},
      {"Input", {{"KinesisVideoStream", {{"Arn", "rtsp://127.0.0.1:8554/lobby"}}}}},
      {"Output", {{"KinesisDataStream", {{"Arn", "file://" + out_dir_ + "/lobby.jsonl"}}}}},
      {"RoleArn", "arn:aws:iam::123456789012:role/candor"},
      {"Settings", {{"FaceSearch", {{"CollectionId", "people"}, {"FaceMatchThreshold", 98.5}}}}}};
  // A searcher may not define one; an admin may.
  auto refused = server::RunOperation("CreateStreamProcessor", create, service,
                                      call({policy::Role::kSearcher}));
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  auto created =
      server::RunOperation("CreateStreamProcessor", create, service, call({policy::Role::kAdmin}));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["StreamProcessorArn"],
            "arn:aws:rekognition:candor:000000000000:streamprocessor/lobby");
  // An admin alone may not start it (starting is a search).
  EXPECT_EQ(server::RunOperation("StartStreamProcessor", {{"Name", "lobby"}}, service,
                                 call({policy::Role::kAdmin}))
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  auto started = server::RunOperation("StartStreamProcessor", {{"Name", "lobby"}}, service,
                                      call({policy::Role::kSearcher}, "case 3"));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ((*started)["SessionId"].get<std::string>().size(), 36u);
  EXPECT_EQ((*started)["CandorThresholdApplied"], 99);  // the default floor
  WaitFor("lobby", Running);
  auto described = server::RunOperation("DescribeStreamProcessor", {{"Name", "lobby"}}, service,
                                        call({policy::Role::kAuditor}));
  ASSERT_TRUE(described.ok());
  EXPECT_EQ((*described)["Status"], "RUNNING");
  EXPECT_EQ((*described)["Input"]["KinesisVideoStream"]["Arn"], "rtsp://127.0.0.1:8554/lobby");
  EXPECT_EQ((*described)["Settings"]["FaceSearch"]["FaceMatchThreshold"], 98.5);
  EXPECT_EQ((*described)["RoleArn"], "arn:aws:iam::123456789012:role/candor");
  EXPECT_EQ((*described)["CandorSession"]["SessionId"], (*started)["SessionId"]);
  EXPECT_TRUE((*described)["CandorSession"].contains("ProcessingFps"));
  auto listed = server::RunOperation("ListStreamProcessors", json::object(), service,
                                     call({policy::Role::kSearcher}));
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)["StreamProcessors"],
            json::parse(R"([{"Name": "lobby", "Status": "RUNNING"}])"));
  EXPECT_EQ(server::RunOperation("DeleteStreamProcessor", {{"Name", "lobby"}}, service,
                                 call({policy::Role::kAdmin}))
                .status()
                .code(),
            StatusCode::kResourceInUse);
  ASSERT_TRUE(server::RunOperation("StopStreamProcessor", {{"Name", "lobby"}}, service,
                                   call({policy::Role::kAdmin}))
                  .ok());
  WaitFor("lobby", Stopped);
  ASSERT_TRUE(server::RunOperation("DeleteStreamProcessor", {{"Name", "lobby"}}, service,
                                   call({policy::Role::kAdmin}))
                  .ok());
  // Each call audited; the start with its policy; the session with its end.
  const auto starts = Audited("StartStreamProcessor");
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].outcome, "AccessDeniedException");
  EXPECT_EQ(starts[1].outcome, "ok");
  EXPECT_EQ(starts[1].threshold_applied, 99);
  EXPECT_EQ(starts[1].threshold_requested, 98.5);
  EXPECT_EQ(starts[1].collection_id, "people");
  EXPECT_EQ(starts[1].results["SessionId"], (*started)["SessionId"]);
  const auto sessions = Audited("StreamProcessorSession");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].request_id, "r-1");
  EXPECT_EQ(sessions[0].reason, "case 3");
  EXPECT_EQ(Audited("CreateStreamProcessor").size(), 2u);
  EXPECT_EQ(Audited("DeleteStreamProcessor").size(), 2u);

  // Without a manager: UnsupportedException, not a crash.
  service.stream_processors = nullptr;
  EXPECT_EQ(server::RunOperation("ListStreamProcessors", json::object(), service,
                                 call({policy::Role::kAdmin}))
                .status()
                .code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace candor
