// The stored-video jobs (StartFaceDetection / GetFaceDetection,
// StartFaceSearch / GetFaceSearch) through server::RunOperation, on the
// shared Hamilton clip (see video_test.cc for what it shows: Lin-Manuel
// Miranda up to 7007 ms, Alex Lacamoire only in the wide shot of 0-0.7 s,
// the audience after), with a real Engine, Collections, AuditLog and an
// --s3-root holding a link to the clip.
#include "video/video_jobs.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "audit/audit_log.h"
#include "protocol/requests.h"
#include "server/operations.h"
#include "test_support.h"

namespace candor {
namespace {

using nlohmann::json;
using policy::Role;
using testing::DataDir;
using testing::ReadFile;
using testing::TempDir;

namespace fs = std::filesystem;

Engine* SharedEngine() {
  static Engine* engine = [] {
    auto e = Engine::Create({});
    if (!e.ok()) std::abort();
    return std::move(e).value().release();
  }();
  return engine;
}

json Clip() { return {{"S3Object", {{"Bucket", "videos"}, {"Name", "clips/hamilton.mp4"}}}}; }

class VideoJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() + "/s3/videos/clips");
    // A copy: a link leading out of the bucket is refused, as for images.
    fs::copy_file(DataDir() + "/video/short_hamilton_clip.mp4",
                  dir_.path() + "/s3/videos/clips/hamilton.mp4");
    auto c = Collections::Open(SharedEngine(), {.data_dir = dir_.path() + "/data"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    collections_ = std::move(c).value();
    auto a = audit::AuditLog::Open(
        {.path = dir_.path() + "/audit.db", .key_path = dir_.path() + "/audit.key"});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    audit_ = std::move(a).value();
    service_.engine = SharedEngine();
    service_.collections = collections_.get();
    service_.audit = audit_.get();
    service_.request_options.s3_root = dir_.path() + "/s3";
    OpenManager();
  }
  void TearDown() override {
    jobs_.reset();
    audit_.reset();
    collections_.reset();
  }

  // Opens (again: a restart) the manager; counts the analyzers it makes.
  void OpenManager() {
    jobs_.reset();
    video::VideoJobManagerOptions options;
    options.db_path = dir_.path() + "/data/video_jobs.db";
    options.collections = collections_.get();
    options.audit = audit_.get();
    options.analyzer_factory = [this](const VideoOptions& o) {
      ++analyzers_made_;
      return VideoAnalyzer::Create(SharedEngine(), collections_.get(), o);
    };
    auto m = video::VideoJobManager::Open(std::move(options));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    jobs_ = std::move(m).value();
    service_.video_jobs = jobs_.get();
  }

  StatusOr<json> Run(const std::string& op, const json& body, Role role,
                     const std::string& reason = "case-17") {
    server::CallContext call;
    call.principal = "p-" + std::string(policy::RoleName(role));
    call.roles = {role};
    call.source = "test";
    call.request_id = "r";
    call.reason = reason;
    return server::RunOperation(op, body, service_, call);
  }

  // Polls until the job has ended (at most two minutes); its last answer.
  json WaitFor(const std::string& op, const std::string& job_id, Role role) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    for (;;) {
      auto r = Run(op, {{"JobId", job_id}}, role);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok() || (*r)["JobStatus"] != "IN_PROGRESS") return r.ok() ? *r : json();
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << op << " " << job_id << " still IN_PROGRESS after 2 minutes";
        return *r;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  // Every page of a job's results at `max_results` per page.
  json AllPages(const std::string& op, const std::string& job_id, Role role, int max_results,
                const std::string& sort_by = "") {
    json all = json::array();
    std::string token;
    const char* list = op == "GetFaceSearch" ? "Persons" : "Faces";
    for (int pages = 0; pages < 1000; ++pages) {
      json body = {{"JobId", job_id}, {"MaxResults", max_results}};
      if (!token.empty()) body["NextToken"] = token;
      if (!sort_by.empty()) body["SortBy"] = sort_by;
      auto r = Run(op, body, role);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) break;
      EXPECT_LE((*r)[list].size(), static_cast<size_t>(max_results));
      for (const json& e : (*r)[list]) all.push_back(e);
      if (!r->contains("NextToken")) break;
      token = (*r)["NextToken"];
    }
    return all;
  }

  std::map<std::string, std::string> Enrol() {
    std::map<std::string, std::string> names;
    EXPECT_TRUE(Run("CreateCollection", {{"CollectionId", "ham"}}, Role::kAdmin).ok());
    for (const char* name : {"lin-manuel-miranda", "alex-lacamoire"}) {
      auto r = Run(
          "IndexFaces",
          {{"CollectionId", "ham"},
           {"ExternalImageId", name},
           {"Image",
            {{"Bytes", protocol::EncodeBase64(ReadFile(DataDir() + "/video/" + name + ".png"))}}}},
          Role::kEnroller);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok() && (*r)["FaceRecords"].size() == 1) {
        names[(*r)["FaceRecords"][0]["Face"]["FaceId"]] = name;
      }
    }
    EXPECT_EQ(names.size(), 2u);
    return names;
  }

  std::vector<audit::AuditEvent> Events(const std::string& operation) {
    audit::AuditQuery q;
    q.operation = operation;
    q.max_results = 1000;
    auto page = audit_->Query(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->events : std::vector<audit::AuditEvent>{};
  }

  TempDir dir_;
  std::unique_ptr<Collections> collections_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<video::VideoJobManager> jobs_;
  std::atomic<int> analyzers_made_{0};
  server::ServiceContext service_;
};

TEST_F(VideoJobsTest, DetectionReportsMetadataAndFacesAndPagesThem) {
  auto started = Run("StartFaceDetection", {{"Video", Clip()}, {"JobTag", "t-1"}}, Role::kAnalyst);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  const std::string job_id = (*started)["JobId"];
  ASSERT_FALSE(job_id.empty());
  const json done = WaitFor("GetFaceDetection", job_id, Role::kAnalyst);
  ASSERT_EQ(done["JobStatus"], "SUCCEEDED") << done.dump();
  EXPECT_EQ(done["JobTag"], "t-1");
  const json& meta = done["VideoMetadata"];
  EXPECT_EQ(meta["FrameWidth"], 640);
  EXPECT_EQ(meta["FrameHeight"], 360);
  EXPECT_NEAR(meta["FrameRate"].get<double>(), 29.97, 0.01);
  EXPECT_NEAR(meta["DurationMillis"].get<double>(), 9175, 100);
  EXPECT_FALSE(meta["Codec"].get<std::string>().empty());
  const json& faces = done["Faces"];
  ASSERT_GT(faces.size(), 10u);
  EXPECT_FALSE(done.contains("NextToken"));
  int at_zero = 0;
  int64_t last = -1;
  for (const json& f : faces) {
    if (f["Timestamp"] == 0) ++at_zero;
    EXPECT_GE(f["Timestamp"].get<int64_t>(), last);  // timestamp order
    last = f["Timestamp"];
    const json& box = f["Face"]["BoundingBox"];
    EXPECT_GE(box["Left"].get<double>(), -0.05);
    EXPECT_LE(box["Left"].get<double>() + box["Width"].get<double>(), 1.05);  // ratios
    EXPECT_GT(f["Face"]["Confidence"].get<double>(), 50);
  }
  EXPECT_EQ(at_zero, 2);

  // Pages of 5 hold the same faces, in the same order, as one page.
  const json paged = AllPages("GetFaceDetection", job_id, Role::kAnalyst, 5);
  EXPECT_EQ(paged, faces);
  // An unknown JobId, even with a good token: ResourceNotFoundException.
  auto first = Run("GetFaceDetection", {{"JobId", job_id}, {"MaxResults", 5}}, Role::kAnalyst);
  ASSERT_TRUE(first.ok());
  auto wrong = Run("GetFaceDetection", {{"JobId", "0123"}, {"NextToken", (*first)["NextToken"]}},
                   Role::kAnalyst);
  EXPECT_EQ(wrong.status().code(), StatusCode::kNotFound);
  // A detection job is not a search job.
  auto as_search = Run("GetFaceSearch", {{"JobId", job_id}}, Role::kSearcher);
  EXPECT_EQ(as_search.status().code(), StatusCode::kNotFound);
  // Roles: a searcher may not read detection jobs.
  auto denied = Run("GetFaceDetection", {{"JobId", job_id}}, Role::kSearcher);
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);

  // Candor.ListVideoJobs: the jobs an analyst may read, their state only;
  // a searcher's list has no detection job.
  auto listed = Run("Candor.ListVideoJobs", json::object(), Role::kAnalyst);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ((*listed)["VideoJobs"].size(), 1u) << listed->dump();
  const json& job = (*listed)["VideoJobs"][0];
  EXPECT_EQ(job["JobId"], job_id);
  EXPECT_EQ(job["JobType"], "FaceDetection");
  EXPECT_EQ(job["JobStatus"], "SUCCEEDED");
  EXPECT_GE(job["CompletionTimestamp"].get<double>(), job["CreationTimestamp"].get<double>());
  EXPECT_FALSE(job.contains("Faces"));
  auto searcher = Run("Candor.ListVideoJobs", json::object(), Role::kSearcher);
  ASSERT_TRUE(searcher.ok());
  EXPECT_TRUE((*searcher)["VideoJobs"].empty());
  EXPECT_EQ(Run("Candor.ListVideoJobs", {{"MaxResults", 0}}, Role::kAnalyst).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("Candor.ListVideoJobs", json::object(), Role::kAuditor).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(VideoJobsTest, SearchMatchesLinManuelOnlyAndIsAuditedWhenItEnds) {
  std::map<std::string, std::string> names = Enrol();
  auto started = Run("StartFaceSearch",
                     {{"Video", Clip()}, {"CollectionId", "ham"}, {"FaceMatchThreshold", 80}},
                     Role::kSearcher);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ((*started)["CandorThresholdApplied"], 99);  // the default policy floor
  const std::string job_id = (*started)["JobId"];
  const json done = WaitFor("GetFaceSearch", job_id, Role::kSearcher);
  ASSERT_EQ(done["JobStatus"], "SUCCEEDED") << done.dump();
  EXPECT_EQ(done["VideoMetadata"]["FrameWidth"], 640);
  const json& persons = done["Persons"];
  ASSERT_GT(persons.size(), 10u);
  int matched = 0;
  std::set<std::string> matched_ids;
  for (const json& p : persons) {
    ASSERT_TRUE(p["Person"].contains("Index"));
    ASSERT_TRUE(p["Person"]["Face"].contains("BoundingBox"));
    if (!p.contains("FaceMatches")) continue;
    for (const json& m : p["FaceMatches"]) {
      ++matched;
      matched_ids.insert(m["Face"]["FaceId"].get<std::string>());
      EXPECT_EQ(m["Face"]["ExternalImageId"], "lin-manuel-miranda") << p.dump();
      EXPECT_GE(m["Similarity"].get<double>(), 99);
      EXPECT_LE(p["Timestamp"].get<int64_t>(), 7050) << p.dump();
    }
  }
  EXPECT_GT(matched, 5);
  ASSERT_EQ(matched_ids.size(), 1u);
  EXPECT_EQ(names[*matched_ids.begin()], "lin-manuel-miranda");

  // SortBy INDEX: the same entries, by track.
  const json by_index = AllPages("GetFaceSearch", job_id, Role::kSearcher, 7, "INDEX");
  ASSERT_EQ(by_index.size(), persons.size());
  for (size_t i = 1; i < by_index.size(); ++i) {
    EXPECT_LE(by_index[i - 1]["Person"]["Index"].get<int64_t>(),
              by_index[i]["Person"]["Index"].get<int64_t>());
  }
  // A TIMESTAMP token is not an INDEX token.
  auto page = Run("GetFaceSearch", {{"JobId", job_id}, {"MaxResults", 3}}, Role::kSearcher);
  ASSERT_TRUE(page.ok());
  auto mixed = Run("GetFaceSearch",
                   {{"JobId", job_id}, {"SortBy", "INDEX"}, {"NextToken", (*page)["NextToken"]}},
                   Role::kSearcher);
  EXPECT_EQ(mixed.status().code(), StatusCode::kInvalidPaginationToken);

  // The completion record: who, why, thresholds, every match with its time.
  const auto records = Events("StartFaceSearch.Completed");
  ASSERT_EQ(records.size(), 1u);
  const audit::AuditEvent& e = records[0];
  EXPECT_EQ(e.principal, "p-searcher");
  EXPECT_EQ(e.reason, "case-17");
  EXPECT_EQ(e.collection_id, "ham");
  EXPECT_EQ(e.outcome, "ok");
  EXPECT_EQ(e.threshold_requested, 80);
  EXPECT_EQ(e.threshold_applied, 99);
  EXPECT_EQ(e.results["JobId"], job_id);
  ASSERT_FALSE(e.results["FaceMatches"].empty());
  for (const json& m : e.results["FaceMatches"]) {
    EXPECT_EQ(m["FaceId"], *matched_ids.begin());
    EXPECT_GE(m["Similarity"].get<double>(), 99);
    EXPECT_LE(m["Timestamp"].get<int64_t>(), 7050);
  }
  // The Start call itself was audited by RunOperation.
  const auto starts = Events("StartFaceSearch");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].results["JobId"], job_id);
  EXPECT_EQ(starts[0].threshold_applied, 99);
}

TEST_F(VideoJobsTest, SearchObeysThePolicyAndRefusesWhatItMust) {
  ASSERT_TRUE(Run("CreateCollection", {{"CollectionId", "ham"}}, Role::kAdmin).ok());
  ASSERT_TRUE(Run("Candor.PutCollectionPolicy", {{"CollectionId", "ham"}, {"ReasonRequired", true}},
                  Role::kAdmin)
                  .ok());
  auto no_reason =
      Run("StartFaceSearch", {{"Video", Clip()}, {"CollectionId", "ham"}}, Role::kSearcher, "");
  EXPECT_EQ(no_reason.status().code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(Run("Candor.PutCollectionPolicy",
                  {{"CollectionId", "ham"}, {"RefuseBelowFloor", true}}, Role::kAdmin)
                  .ok());
  auto below = Run("StartFaceSearch",
                   {{"Video", Clip()}, {"CollectionId", "ham"}, {"FaceMatchThreshold", 50}},
                   Role::kSearcher);
  EXPECT_EQ(below.status().code(), StatusCode::kPermissionDenied);
  auto missing =
      Run("StartFaceSearch", {{"Video", Clip()}, {"CollectionId", "nope"}}, Role::kSearcher);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto analyst =
      Run("StartFaceSearch", {{"Video", Clip()}, {"CollectionId", "ham"}}, Role::kAnalyst);
  EXPECT_EQ(analyst.status().code(), StatusCode::kPermissionDenied);
  auto sns =
      Run("StartFaceDetection",
          {{"Video", Clip()}, {"NotificationChannel", {{"SNSTopicArn", "a"}}}}, Role::kAnalyst);
  EXPECT_EQ(sns.status().code(), StatusCode::kInvalidArgument);
  auto escape = Run("StartFaceDetection",
                    {{"Video", {{"S3Object", {{"Bucket", "videos"}, {"Name", "../../audit.db"}}}}}},
                    Role::kAnalyst);
  EXPECT_EQ(escape.status().code(), StatusCode::kInvalidS3Object);
  // Nothing was started; every refusal was audited.
  EXPECT_EQ(analyzers_made_, 0);
  const auto searches = Events("StartFaceSearch");
  ASSERT_EQ(searches.size(), 4u);
  EXPECT_EQ(searches[1].results.value("ThresholdRefused", false), true);
  EXPECT_EQ(searches[1].threshold_applied, 99);
  EXPECT_EQ(Events("StartFaceDetection").size(), 2u);
  for (const auto& e : Events("StartFaceSearch")) EXPECT_NE(e.outcome, "ok");
}

TEST_F(VideoJobsTest, ClientRequestTokenIsIdempotent) {
  const json body = {{"Video", Clip()}, {"ClientRequestToken", "tok-1"}};
  auto a = Run("StartFaceDetection", body, Role::kAnalyst);
  auto b = Run("StartFaceDetection", body, Role::kAnalyst);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)["JobId"], (*b)["JobId"]);
  json other = body;
  other["FaceAttributes"] = "ALL";
  auto c = Run("StartFaceDetection", other, Role::kAnalyst);
  EXPECT_EQ(c.status().code(), StatusCode::kIdempotentParameterMismatch);
  // Another token: another job. The same token survives a restart.
  json second = body;
  second["ClientRequestToken"] = "tok-2";
  auto d = Run("StartFaceDetection", second, Role::kAnalyst);
  ASSERT_TRUE(d.ok());
  EXPECT_NE((*d)["JobId"], (*a)["JobId"]);
  OpenManager();
  auto e = Run("StartFaceDetection", body, Role::kAnalyst);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)["JobId"], (*a)["JobId"]);
}

TEST_F(VideoJobsTest, RestartNeitherLosesNorRepeatsJobs) {
  auto started = Run("StartFaceDetection", {{"Video", Clip()}}, Role::kAnalyst);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  const std::string job_id = (*started)["JobId"];
  // Stopped at once: the job is cancelled (or never began) and stays
  // IN_PROGRESS in the file.
  jobs_->Shutdown();
  auto refused = Run("StartFaceDetection", {{"Video", Clip()}}, Role::kAnalyst);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);
  OpenManager();
  const json done = WaitFor("GetFaceDetection", job_id, Role::kAnalyst);
  ASSERT_EQ(done["JobStatus"], "SUCCEEDED") << done.dump();
  ASSERT_GT(done["Faces"].size(), 10u);
  // Reopened again: the job is answerable at once and is not run again.
  analyzers_made_ = 0;
  OpenManager();
  auto again = Run("GetFaceDetection", {{"JobId", job_id}}, Role::kAnalyst);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)["JobStatus"], "SUCCEEDED");
  EXPECT_EQ((*again)["Faces"], done["Faces"]);
  EXPECT_EQ((*again)["VideoMetadata"], done["VideoMetadata"]);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(analyzers_made_, 0);
}

TEST_F(VideoJobsTest, AnUnreadableVideoFailsTheJob) {
  std::ofstream(dir_.path() + "/s3/videos/junk.mp4") << "this is not a video";
  auto started = Run("StartFaceDetection",
                     {{"Video", {{"S3Object", {{"Bucket", "videos"}, {"Name", "junk.mp4"}}}}}},
                     Role::kAnalyst);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  const json done = WaitFor("GetFaceDetection", (*started)["JobId"], Role::kAnalyst);
  EXPECT_EQ(done["JobStatus"], "FAILED") << done.dump();
  EXPECT_FALSE(done.value("StatusMessage", "").empty());
  EXPECT_TRUE(done["Faces"].empty());
}

// A failed job's StatusMessage is read by the caller: it names the video as
// the caller did and no file of the server.
TEST(VideoJobMessageTest, StatusMessageCarriesNoServerPath) {
  video::VideoJobRequest r;
  r.bucket = "cams";
  r.name = "door/0412.mp4";
  r.video_path = "/srv/candor/buckets/cams/door/0412.mp4";
  EXPECT_EQ(video::PublicStatusMessage("cannot open " + r.video_path + " (no decoder)", r),
            "cannot open s3://cams/door/0412.mp4 (no decoder)");
  EXPECT_EQ(video::PublicStatusMessage("model '/opt/candor/models/x.onnx' failed: 1/2 done", r),
            "model '(a server path)' failed: 1/2 done");
  const std::string message =
      video::PublicStatusMessage("read " + r.video_path + ": /tmp/x; then /var/y", r);
  EXPECT_EQ(message.find("/srv"), std::string::npos) << message;
  EXPECT_EQ(message.find("/tmp"), std::string::npos) << message;
  EXPECT_EQ(message.find("/var"), std::string::npos) << message;
}

}  // namespace
}  // namespace candor
