// The stream processors of a cluster (video/stream_processor.h on
// store/pg_stream_processors.h): two managers on one PostgreSQL database
// stand for two nodes, with a fake analyser (frames until cancelled). What
// one creates, tags, starts, stops or deletes the other sees; a RUNNING
// processor runs on the node that started it, and is stopped from the other
// through the database; when that node's lease runs out the other takes it
// over and audits the interrupted session; bad rows are Corruption.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "collections_fixture.h"
#include "pg_test_support.h"
#include "video/stream_processor.h"

namespace candor {
namespace {

using store::test_support::PgRawExec;
using store::test_support::PgRawInt;
using store::test_support::PgTestDatabase;
using video::StreamProcessorInfo;
using video::StreamProcessorManager;
using video::StreamProcessorStatus;

// Frames until cancelled; a match every fifth frame (so that the session
// checkpoints its audit record).
class FakeAnalyzer : public VideoAnalyzer {
 public:
  StatusOr<VideoSummary> Run(const std::string&, const VideoObserver& observer,
                             const std::atomic<bool>* cancel) override {
    VideoProgress p;
    for (int64_t frame = 1; !cancel->load(); ++frame) {
      p.frames_read = p.frames_analysed = frame;
      p.position_ms = frame * 40;
      if (observer.on_progress) observer.on_progress(p);
      if (frame % 5 == 0 && observer.on_match) {
        VideoTrackMatch m;
        m.timestamp_ms = p.position_ms;
        m.face.box = {0.25f, 0.25f, 0.2f, 0.3f};
        m.face.confidence = 99;
        SearchMatch a;
        a.face.face_id = "face-a";
        a.similarity = 99.5f;
        m.matches.push_back(a);
        observer.on_match(m);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return VideoSummary{{}, p};
  }
};

class StreamProcessorsPgTest : public testing::CollectionsFixture {
 protected:
  void SetUp() override {
    CollectionsFixture::SetUp();
    std::string error;
    ASSERT_TRUE(db_.Create(&error)) << error;
    ASSERT_TRUE(collections_->CreateCollection("people").ok());
    auto log = audit::AuditLog::Open({.path = dir_ + "/audit.db", .key_path = dir_ + "/audit.key"});
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    audit_ = std::move(log).value();
    std::filesystem::create_directories(dir_ + "/events");
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    audit_.reset();
    CollectionsFixture::TearDown();
  }

  std::unique_ptr<StreamProcessorManager> Node(const std::string& name) {
    video::StreamProcessorManagerOptions o;
    o.shared_store = db_.conninfo();
    o.node = name;
    o.collections = collections_.get();
    o.audit = audit_.get();
    o.session.file_sink_root = dir_ + "/events";
    o.analyzer_factory = [](const VideoOptions&) -> StatusOr<std::unique_ptr<VideoAnalyzer>> {
      return std::unique_ptr<VideoAnalyzer>(new FakeAnalyzer());
    };
    auto m = StreamProcessorManager::Open(o);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(*m) : nullptr;
  }

  video::StreamProcessorDefinition Definition(const std::string& name) {
    video::StreamProcessorDefinition d;
    d.name = name;
    d.input_url = "udp://127.0.0.1:5000";
    d.output_url = "file://" + dir_ + "/events/" + name + ".jsonl";
    d.collection_id = "people";
    d.face_match_threshold = 99;
    return d;
  }

  // Polls Describe on `node` until `pred` holds (5 s at most).
  static StreamProcessorInfo WaitFor(StreamProcessorManager& node, const std::string& name,
                                     const std::function<bool(const StreamProcessorInfo&)>& pred) {
    StreamProcessorInfo info;
    for (int i = 0; i < 500; ++i) {
      auto d = node.Describe(name);
      EXPECT_TRUE(d.ok()) << d.status().ToString();
      if (!d.ok()) return info;
      info = *d;
      if (pred(info)) return info;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "timed out; status " << video::StatusName(info.status);
    return info;
  }
  static bool Running(const StreamProcessorInfo& i) {
    return i.status == StreamProcessorStatus::kRunning && i.session && i.session->frames_read > 0;
  }
  static bool Stopped(const StreamProcessorInfo& i) {
    return i.status == StreamProcessorStatus::kStopped;
  }

  std::vector<audit::AuditEvent> Sessions() {
    audit::AuditQuery q;
    q.operation = "StreamProcessorSession";
    q.max_results = 100;
    auto page = audit_->Query(q);
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->events : std::vector<audit::AuditEvent>{};
  }

  PgTestDatabase db_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<StreamProcessorManager> a_, b_;
  const video::SessionCaller alice_{"alice", "10.0.0.1", "req-1", "case 1"};
};

TEST_F(StreamProcessorsPgTest, WhatOneNodeDoesTheOtherSees) {
  a_ = Node("node-a");
  b_ = Node("node-b");
  ASSERT_TRUE(a_ && b_);
  ASSERT_TRUE(a_->Create(Definition("cam")).ok());
  auto seen = b_->Describe("cam");
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_EQ(seen->status, StreamProcessorStatus::kStopped);
  EXPECT_EQ(seen->definition.input_url, "udp://127.0.0.1:5000");
  EXPECT_EQ(seen->definition.arn, std::string(kStreamProcessorArnPrefix) + "cam");
  EXPECT_EQ(b_->Create(Definition("cam")).status().code(), StatusCode::kResourceInUse);
  ASSERT_TRUE(b_->Tag("cam", {{"site", "north"}}).ok());
  EXPECT_EQ(a_->ListTags("cam")->at("site"), "north");
  ASSERT_EQ(b_->List("", 10)->processors.size(), 1u);

  // Started on B: B runs it; A sees it RUNNING and cannot start or delete it.
  auto started = b_->Start("cam", alice_);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  WaitFor(*b_, "cam", Running);
  auto on_a = a_->Describe("cam");
  ASSERT_TRUE(on_a.ok());
  EXPECT_EQ(on_a->status, StreamProcessorStatus::kRunning);
  EXPECT_FALSE(on_a->session.has_value());  // the counters are B's
  EXPECT_EQ(a_->Start("cam", alice_).status().code(), StatusCode::kResourceInUse);
  EXPECT_EQ(a_->Delete("cam").code(), StatusCode::kResourceInUse);
  EXPECT_EQ(*a_->KeepLeases(), 0);  // B's lease holds: nothing to take over

  // Stopped through A: recorded at once, B ends its session at its renewal.
  ASSERT_TRUE(a_->Stop("cam").ok());
  EXPECT_EQ(a_->Describe("cam")->status, StreamProcessorStatus::kStopped);
  EXPECT_EQ(a_->Stop("cam").code(), StatusCode::kResourceInUse);
  ASSERT_TRUE(b_->KeepLeases().ok());
  WaitFor(*b_, "cam", Stopped);
  auto sessions = Sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].results["SessionId"], started->session_id);

  ASSERT_TRUE(a_->Delete("cam").ok());
  EXPECT_EQ(b_->Describe("cam").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(b_->List("", 10)->processors.empty());
}

TEST_F(StreamProcessorsPgTest, ARunningProcessorIsTakenOverWhenItsLeaseRunsOut) {
  a_ = Node("node-a");
  b_ = Node("node-b");
  ASSERT_TRUE(a_ && b_);
  ASSERT_TRUE(a_->Create(Definition("cam")).ok());
  auto started = a_->Start("cam", alice_);
  ASSERT_TRUE(started.ok());
  // Until a match is checkpointed in the row.
  WaitFor(*a_, "cam", [](const StreamProcessorInfo& i) {
    return Running(i) && i.session->searches >= 2;
  });
  ASSERT_GT(PgRawInt(db_.conninfo(),
                     "SELECT count(*) FROM stream_processors WHERE session_json <> ''"),
            0);
  // A stops renewing (as if killed): its lease runs out, B takes over.
  PgRawExec(db_.conninfo(), "UPDATE stream_processors SET lease_until_ms = 0");
  auto taken = b_->KeepLeases();
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(*taken, 1);
  auto on_b = WaitFor(*b_, "cam", Running);
  EXPECT_NE(on_b.session->session_id, started->session_id);
  EXPECT_EQ(PgRawInt(db_.conninfo(),
                     "SELECT count(*) FROM stream_processors WHERE node = 'node-b'"
                     " AND status = 'RUNNING'"),
            1);
  // The interrupted session was audited from its checkpoint.
  bool crash = false;
  for (const auto& e : Sessions()) {
    crash = crash || (e.results["SessionId"] == started->session_id &&
                      e.results["EndedBy"] == "ServiceCrash" && e.principal == "alice");
  }
  EXPECT_TRUE(crash);
  // A, still alive after all, ends its own session at its next renewal: one
  // node runs it.
  ASSERT_TRUE(a_->KeepLeases().ok());
  auto on_a = WaitFor(*a_, "cam", [](const StreamProcessorInfo& i) { return !i.session; });
  EXPECT_EQ(on_a.status, StreamProcessorStatus::kRunning);  // B's
  ASSERT_TRUE(a_->Stop("cam").ok());
  ASSERT_TRUE(b_->KeepLeases().ok());
  WaitFor(*b_, "cam", Stopped);
}

TEST_F(StreamProcessorsPgTest, ANodeThatStartsAgainRestartsItsOwnAndBadRowsAreCorruption) {
  a_ = Node("node-a");
  ASSERT_TRUE(a_);
  ASSERT_TRUE(a_->Create(Definition("mine")).ok());
  ASSERT_TRUE(a_->Start("mine", alice_).ok());
  WaitFor(*a_, "mine", Running);
  a_.reset();  // a shutdown: it stays RUNNING, on node A's lease
  b_ = Node("node-b");
  ASSERT_TRUE(b_);
  EXPECT_EQ(b_->Describe("mine")->status, StreamProcessorStatus::kRunning);
  EXPECT_EQ(*b_->KeepLeases(), 0);
  a_ = Node("node-a");
  ASSERT_TRUE(a_);
  WaitFor(*a_, "mine", Running);
  ASSERT_TRUE(a_->Stop("mine").ok());
  WaitFor(*a_, "mine", Stopped);
  auto sessions = Sessions();
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[1].source, "restart");

  for (const char* damage : {"status = 'BOGUS'", "caller_json = 'nope'",
                             "extras_json = '{\"Tags\": [1]}'"}) {
    PgRawExec(db_.conninfo(), "ALTER TABLE stream_processors DROP CONSTRAINT IF EXISTS"
                              " stream_processors_status_check");
    PgRawExec(db_.conninfo(), std::string("UPDATE stream_processors SET ") + damage);
    EXPECT_EQ(b_->Describe("mine").status().code(), StatusCode::kCorruption) << damage;
    EXPECT_EQ(b_->List("", 10).status().code(), StatusCode::kCorruption) << damage;
    PgRawExec(db_.conninfo(), "UPDATE stream_processors SET status = 'STOPPED',"
                              " caller_json = '{}', extras_json = '{}'");
    EXPECT_TRUE(b_->Describe("mine").ok()) << damage;
  }
}

}  // namespace
}  // namespace candor
