// The stored-video jobs of a cluster (video/video_jobs.h on
// store/pg_video_jobs.h): two VideoJobManagers on one PostgreSQL database
// stand for two nodes. A job started on A is answered by B (status, then
// results); a ClientRequestToken names one job in the cluster; a job whose
// node stopped is FAILED by another node once its lease is over, and its
// node can no longer write an end; a node that starts again runs its own
// IN_PROGRESS jobs again; a row that does not read as a job is Corruption.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

#include "pg_test_support.h"
#include "test_support.h"
#include "video/video_jobs.h"

namespace candor {
namespace {

using store::test_support::PgRawExec;
using store::test_support::PgRawInt;
using store::test_support::PgTestDatabase;
using video::StoredVideoJob;
using video::VideoJobKind;
using video::VideoJobManager;
using video::VideoJobStatus;

Engine* SharedEngine() {
  static Engine* engine = [] {
    auto e = Engine::Create({});
    if (!e.ok()) std::abort();
    return std::move(e).value().release();
  }();
  return engine;
}

class VideoJobsPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(db_.Create(&error)) << error;
    auto c = Collections::Open(SharedEngine(), {.data_dir = dir_.path() + "/data"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    collections_ = std::move(c).value();
  }

  // A node: `factory` makes its analyzers (default: the real one).
  std::unique_ptr<VideoJobManager> Node(const std::string& name,
                                        video::VideoAnalyzerFactory factory = nullptr) {
    video::VideoJobManagerOptions options;
    options.shared_store = db_.conninfo();
    options.node = name;
    options.collections = collections_.get();
    options.analyzer_factory = factory ? factory : [](const VideoOptions& o) {
      return VideoAnalyzer::Create(SharedEngine(), nullptr, o);
    };
    auto m = VideoJobManager::Open(std::move(options));
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(*m) : nullptr;
  }

  static video::VideoJobRequest Detection(const std::string& token = "") {
    video::VideoJobRequest r;
    r.kind = VideoJobKind::kFaceDetection;
    r.bucket = "videos";
    r.name = "hamilton.mp4";
    r.video_path = testing::DataDir() + "/video/short_hamilton_clip.mp4";
    r.client_request_token = token;
    r.job_tag = "t";
    return r;
  }

  // Polls `node` until the job has ended (at most two minutes).
  static std::shared_ptr<const StoredVideoJob> WaitFor(VideoJobManager& node,
                                                       const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    for (;;) {
      auto job = node.Get(id, VideoJobKind::kFaceDetection);
      EXPECT_TRUE(job.ok()) << job.status().ToString();
      if (!job.ok() || (*job)->status != VideoJobStatus::kInProgress) {
        return job.ok() ? *job : nullptr;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << id << " still IN_PROGRESS after 2 minutes";
        return *job;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  testing::TempDir dir_;
  PgTestDatabase db_;
  std::unique_ptr<Collections> collections_;
  const video::SessionCaller caller_{"p", "test", "r", ""};
};

TEST_F(VideoJobsPgTest, AJobStartedOnOneNodeIsAnsweredByTheOther) {
  auto a = Node("node-a");
  auto b = Node("node-b");
  ASSERT_TRUE(a && b);
  auto started = a->Start(Detection("tok-1"), caller_);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_FALSE(started->reused);
  auto early = b->Get(started->job_id, VideoJobKind::kFaceDetection);
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_EQ((*early)->request.name, "hamilton.mp4");
  EXPECT_EQ((*early)->caller.principal, "p");
  EXPECT_EQ(b->Get(started->job_id, VideoJobKind::kFaceSearch).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(b->Get("no-such-job", VideoJobKind::kFaceDetection).status().code(),
            StatusCode::kNotFound);

  // The token names one job in the cluster: B answers with A's job, or
  // refuses other parameters.
  auto again = b->Start(Detection("tok-1"), caller_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->job_id, started->job_id);
  video::VideoJobRequest other = Detection("tok-1");
  other.job_tag = "another";
  EXPECT_EQ(b->Start(other, caller_).status().code(), StatusCode::kIdempotentParameterMismatch);

  auto done = WaitFor(*b, started->job_id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, VideoJobStatus::kSucceeded) << done->status_message;
  EXPECT_GT(done->results.size(), 0u);
  EXPECT_GT(done->metadata.duration_ms, 0);
  auto on_a = a->Get(started->job_id, VideoJobKind::kFaceDetection);
  ASSERT_TRUE(on_a.ok());
  EXPECT_EQ((*on_a)->results, done->results);
  auto listed = b->List({VideoJobKind::kFaceDetection}, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0]->job_id, started->job_id);
  EXPECT_TRUE(b->List({VideoJobKind::kFaceSearch}, 10)->empty());
}

TEST_F(VideoJobsPgTest, AJobOfANodeThatStoppedFailsWhenItsLeaseEnds) {
  // A's analyser waits for the test: its job stays IN_PROGRESS meanwhile.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto a = Node("node-a", [released](const VideoOptions&)
                              -> StatusOr<std::unique_ptr<VideoAnalyzer>> {
    released.wait();
    return Status::Internal("the analyser of node A ended late");
  });
  auto b = Node("node-b");
  ASSERT_TRUE(a && b);
  auto started = a->Start(Detection(), caller_);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  // The lease is live: B fails nothing.
  auto kept = b->KeepLeases();
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, 0);
  EXPECT_EQ((*b->Get(started->job_id, VideoJobKind::kFaceDetection))->status,
            VideoJobStatus::kInProgress);

  // Time passes without A renewing (as if it were killed): the lease is over.
  PgRawExec(db_.conninfo(), "UPDATE video_jobs SET lease_until_ms = 0");
  kept = b->KeepLeases();
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, 1);
  auto failed = b->Get(started->job_id, VideoJobKind::kFaceDetection);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ((*failed)->status, VideoJobStatus::kFailed);
  EXPECT_EQ((*failed)->status_message, video::kNodeStoppedMessage);
  EXPECT_GT((*failed)->completed_ms, 0);

  // A comes back to it late: its end is not written over the FAILED.
  release.set_value();
  a.reset();  // joins A's worker, which has tried to record its end
  auto still = b->Get(started->job_id, VideoJobKind::kFaceDetection);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ((*still)->status_message, video::kNodeStoppedMessage);
  EXPECT_EQ(PgRawInt(db_.conninfo(), "SELECT count(*) FROM video_jobs WHERE status = 'FAILED'"),
            1);
}

TEST_F(VideoJobsPgTest, ANodeThatStartsAgainRunsItsOwnJobsAgain) {
  // The first process of node A hangs in its job (as one killed would never
  // end it).
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto a = Node("node-a", [released](const VideoOptions&)
                              -> StatusOr<std::unique_ptr<VideoAnalyzer>> {
    released.wait();
    return Status::Internal("the first process ended late");
  });
  ASSERT_TRUE(a);
  auto started = a->Start(Detection(), caller_);
  ASSERT_TRUE(started.ok());
  // Another node leaves it alone while its lease holds.
  auto b = Node("node-b", [](const VideoOptions&) -> StatusOr<std::unique_ptr<VideoAnalyzer>> {
    return Status::Internal("node B ran it");
  });
  ASSERT_TRUE(b);
  EXPECT_EQ(*b->KeepLeases(), 0);
  // Node A starts again (the same name): it runs the job again (here its
  // analyser fails at once), and that end is the job's.
  auto a2 = Node("node-a", [](const VideoOptions&) -> StatusOr<std::unique_ptr<VideoAnalyzer>> {
    return Status::Internal("node A ran it again");
  });
  ASSERT_TRUE(a2);
  auto done = WaitFor(*b, started->job_id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, VideoJobStatus::kFailed);
  EXPECT_NE(done->status_message.find("node A ran it again"), std::string::npos)
      << done->status_message;
  release.set_value();
  a.reset();  // the first process ends cancelled: nothing of it is written
  auto still = b->Get(started->job_id, VideoJobKind::kFaceDetection);
  ASSERT_TRUE(still.ok());
  EXPECT_NE((*still)->status_message.find("node A ran it again"), std::string::npos);
}

TEST_F(VideoJobsPgTest, ARowThatIsNotAJobIsCorruptionAndChangesNothing) {
  auto a = Node("node-a", [](const VideoOptions&) -> StatusOr<std::unique_ptr<VideoAnalyzer>> {
    return Status::Internal("not run");
  });
  ASSERT_TRUE(a);
  const std::vector<std::string> damages = {
      "request_json = 'not json'",
      "request_json = '{\"Kind\": 5}'",
      "results_json = '{}'",
      "metadata_json = '[1, 2]'",
      "caller_json = '{\"Principal\": 7}'",
      "kind = 'FaceSearch'",
      "status = 'IN_PROGRESS', search_json = '{\"CalibrationVersion\": 1}'",
  };
  for (const std::string& damage : damages) {
    auto started = a->Start(Detection(), caller_);
    ASSERT_TRUE(started.ok());
    WaitFor(*a, started->job_id);
    PgRawExec(db_.conninfo(),
              "UPDATE video_jobs SET " + damage + " WHERE job_id = '" + started->job_id + "'");
    const VideoJobKind kind =
        damage.rfind("kind", 0) == 0 ? VideoJobKind::kFaceSearch : VideoJobKind::kFaceDetection;
    EXPECT_EQ(a->Get(started->job_id, kind).status().code(), StatusCode::kCorruption) << damage;
    EXPECT_EQ(a->List({VideoJobKind::kFaceDetection, VideoJobKind::kFaceSearch}, 100)
                  .status()
                  .code(),
              StatusCode::kCorruption)
        << damage;
    PgRawExec(db_.conninfo(), "DELETE FROM video_jobs WHERE job_id = '" + started->job_id + "'");
  }
  // A node that starts with its own damaged IN_PROGRESS row says so.
  auto started = a->Start(Detection(), caller_);
  ASSERT_TRUE(started.ok());
  WaitFor(*a, started->job_id);
  PgRawExec(db_.conninfo(), "UPDATE video_jobs SET status = 'IN_PROGRESS',"
                            " request_json = 'x', lease_until_ms = 9e15");
  video::VideoJobManagerOptions options;
  options.shared_store = db_.conninfo();
  options.node = "node-a";
  options.collections = collections_.get();
  options.analyzer_factory = [](const VideoOptions&) -> StatusOr<std::unique_ptr<VideoAnalyzer>> {
    return Status::Internal("not run");
  };
  EXPECT_EQ(VideoJobManager::Open(std::move(options)).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(PgRawInt(db_.conninfo(), "SELECT count(*) FROM video_jobs WHERE request_json = 'x'"),
            1);
}

}  // namespace
}  // namespace candor
