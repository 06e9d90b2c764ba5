// Hostile bodies for the stored-video operations' parsers
// (protocol/video_requests.h): wrong JSON types, missing members, S3 names
// escaping the object root, out-of-range counts, junk pagination tokens.
// Each is refused with its typed error, and nothing on disk changes. Also the
// job store's refusal of a file that is not its own.
#include "protocol/video_requests.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"
#include "video/video_job_store.h"

namespace candor {
namespace {

using nlohmann::json;
using testing::TempDir;
namespace fs = std::filesystem;

class VideoRequestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root_ + "/videos/sub");
    std::ofstream(root_ + "/videos/sub/clip.mp4") << "not really a video";
    std::ofstream(dir_.path() + "/secret.mp4") << "outside the root";
    fs::create_symlink(dir_.path() + "/secret.mp4", root_ + "/videos/link.mp4");
    options_.s3_root = root_;
  }
  static json Video(const std::string& name, const std::string& bucket = "videos") {
    return {{"S3Object", {{"Bucket", bucket}, {"Name", name}}}};
  }
  StatusCode Detection(const json& body) {
    return protocol::ParseStartFaceDetection(body, options_).status().code();
  }
  StatusCode Search(const json& body) {
    return protocol::ParseStartFaceSearch(body, options_).status().code();
  }

  TempDir dir_;
  const std::string root_ = dir_.path() + "/s3";
  protocol::RequestOptions options_;
};

TEST_F(VideoRequestsTest, AGoodStartResolvesTheFile) {
  auto r = protocol::ParseStartFaceDetection({{"Video", Video("sub/clip.mp4")},
                                              {"FaceAttributes", "ALL"},
                                              {"JobTag", "a:b/c"},
                                              {"ClientRequestToken", "tok_1-2"}},
                                             options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(fs::path(r->video_path), fs::canonical(root_ + "/videos/sub/clip.mp4"));
  EXPECT_EQ(r->attributes, AttributeSet::kAll);
  EXPECT_EQ(r->client_request_token, "tok_1-2");
  auto s = protocol::ParseStartFaceSearch(
      {{"Video", Video("sub/clip.mp4")}, {"CollectionId", "c"}, {"FaceMatchThreshold", 95.5}},
      options_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FLOAT_EQ(s->face_match_threshold, 95.5f);
  EXPECT_EQ(s->kind, video::VideoJobKind::kFaceSearch);
}

TEST_F(VideoRequestsTest, HostileStartBodiesAreRefusedWithTypedErrors) {
  using SC = StatusCode;
  EXPECT_EQ(Detection(json::array()), SC::kSerialization);
  EXPECT_EQ(Detection(json::object()), SC::kInvalidArgument);  // no Video
  EXPECT_EQ(Detection({{"Video", "s3://videos/clip.mp4"}}), SC::kSerialization);
  EXPECT_EQ(Detection({{"Video", json::object()}}), SC::kInvalidArgument);
  EXPECT_EQ(Detection({{"Video", {{"S3Object", 7}}}}), SC::kSerialization);
  EXPECT_EQ(Detection({{"Video", {{"S3Object", {{"Bucket", 1}, {"Name", "x"}}}}}}),
            SC::kSerialization);
  EXPECT_EQ(Detection({{"Video", {{"S3Object", {{"Bucket", "videos"}}}}}}), SC::kInvalidArgument);
  EXPECT_EQ(Detection({{"Video", Video("sub/clip.mp4", "UPPER")}}), SC::kInvalidArgument);
  EXPECT_EQ(Detection({{"Video", Video("sub/clip.mp4", "..")}}), SC::kInvalidArgument);
  // Escapes: "..", absolute names, a symbolic link leading out.
  EXPECT_EQ(Detection({{"Video", Video("../../secret.mp4")}}), SC::kInvalidS3Object);
  EXPECT_EQ(Detection({{"Video", Video("sub/../../../secret.mp4")}}), SC::kInvalidS3Object);
  EXPECT_EQ(Detection({{"Video", Video(dir_.path() + "/secret.mp4")}}), SC::kInvalidS3Object);
  EXPECT_EQ(Detection({{"Video", Video("link.mp4")}}), SC::kInvalidS3Object);
  EXPECT_EQ(Detection({{"Video", Video("sub")}}), SC::kInvalidS3Object);  // a directory
  EXPECT_EQ(Detection({{"Video", Video("missing.mp4")}}), SC::kInvalidS3Object);
  EXPECT_EQ(Detection({{"Video", Video(std::string("a\0b", 3))}}), SC::kInvalidArgument);
  // Options.
  const json good = {{"Video", Video("sub/clip.mp4")}};
  auto with = [&good](const char* key, json value) {
    json b = good;
    b[key] = std::move(value);
    return b;
  };
  EXPECT_EQ(Detection(with("NotificationChannel", {{"SNSTopicArn", "arn"}})), SC::kInvalidArgument);
  EXPECT_EQ(Detection(with("FaceAttributes", "SOME")), SC::kInvalidArgument);
  EXPECT_EQ(Detection(with("FaceAttributes", json::array({"ALL"}))), SC::kSerialization);
  EXPECT_EQ(Detection(with("ClientRequestToken", "")), SC::kInvalidArgument);
  EXPECT_EQ(Detection(with("ClientRequestToken", "has space")), SC::kInvalidArgument);
  EXPECT_EQ(Detection(with("ClientRequestToken", std::string(65, 'a'))), SC::kInvalidArgument);
  EXPECT_EQ(Detection(with("ClientRequestToken", 5)), SC::kSerialization);
  EXPECT_EQ(Detection(with("JobTag", std::string(1025, 'a'))), SC::kInvalidArgument);
  EXPECT_EQ(Detection(with("JobTag", "semi;colon")), SC::kInvalidArgument);
  // Search's own members.
  EXPECT_EQ(Search(good), SC::kInvalidArgument);  // no CollectionId
  json search = with("CollectionId", "c");
  EXPECT_EQ(Search(search), SC::kOk);
  search["CollectionId"] = "bad id!";
  EXPECT_EQ(Search(search), SC::kInvalidArgument);
  search["CollectionId"] = json::array();
  EXPECT_EQ(Search(search), SC::kSerialization);
  search["CollectionId"] = "c";
  for (json bad : {json(-1), json(100.5), json(1e308)}) {
    search["FaceMatchThreshold"] = bad;
    EXPECT_EQ(Search(search), SC::kInvalidArgument) << bad.dump();
  }
  search["FaceMatchThreshold"] = "90";
  EXPECT_EQ(Search(search), SC::kSerialization);
  // Nothing outside the root was touched.
  std::ifstream secret(dir_.path() + "/secret.mp4");
  std::string text((std::istreambuf_iterator<char>(secret)), {});
  EXPECT_EQ(text, "outside the root");
}

TEST_F(VideoRequestsTest, NoObjectRootRefusesEveryVideo) {
  options_.s3_root.clear();
  EXPECT_EQ(Detection({{"Video", Video("sub/clip.mp4")}}), StatusCode::kInvalidS3Object);
}

TEST_F(VideoRequestsTest, HostileGetBodiesAreRefusedWithTypedErrors) {
  using SC = StatusCode;
  auto get = [](const json& b) { return protocol::ParseGetFaceSearch(b).status().code(); };
  EXPECT_EQ(get(json::object()), SC::kInvalidArgument);
  EXPECT_EQ(get({{"JobId", 12}}), SC::kSerialization);
  EXPECT_EQ(get({{"JobId", ""}}), SC::kInvalidArgument);
  EXPECT_EQ(get({{"JobId", "../etc"}}), SC::kInvalidArgument);
  EXPECT_EQ(get({{"JobId", std::string(65, 'a')}}), SC::kInvalidArgument);
  for (json bad : {json(0), json(-1), json(-1e300)}) {
    EXPECT_EQ(get({{"JobId", "j"}, {"MaxResults", bad}}), SC::kInvalidArgument) << bad.dump();
  }
  // "The largest value you can specify is 1000": more is capped, not refused.
  for (json many : {json(1001), json(1e300), json(18446744073709551615ull)}) {
    auto r = protocol::ParseGetFaceSearch({{"JobId", "j"}, {"MaxResults", many}});
    ASSERT_TRUE(r.ok()) << many.dump();
    EXPECT_EQ(r->max_results, 1000) << many.dump();
  }
  EXPECT_EQ(get({{"JobId", "j"}, {"MaxResults", 2.5}}), SC::kSerialization);
  EXPECT_EQ(get({{"JobId", "j"}, {"MaxResults", "5"}}), SC::kSerialization);
  EXPECT_EQ(get({{"JobId", "j"}, {"SortBy", "NAME"}}), SC::kInvalidArgument);
  EXPECT_EQ(get({{"JobId", "j"}, {"SortBy", "index"}}), SC::kInvalidArgument);
  EXPECT_EQ(get({{"JobId", "j"}, {"SortBy", 1}}), SC::kSerialization);
  EXPECT_EQ(get({{"JobId", "j"}, {"NextToken", std::string(300, 'x')}}),
            SC::kInvalidPaginationToken);
  auto ok =
      protocol::ParseGetFaceSearch({{"JobId", "j-1"}, {"MaxResults", 5.0}, {"SortBy", "INDEX"}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->max_results, 5);
  EXPECT_TRUE(ok->sort_by_index);
  // GetFaceDetection has no SortBy: ignored as unknown.
  EXPECT_TRUE(protocol::ParseGetFaceDetection({{"JobId", "j"}, {"SortBy", "NAME"}}).ok());
}

TEST_F(VideoRequestsTest, JunkNextTokensAreRefused) {
  video::StoredVideoJob job;
  job.job_id = "job-1";
  job.status = video::VideoJobStatus::kSucceeded;
  for (int i = 0; i < 12; ++i)
    job.results.push_back({{"Timestamp", i * 200}, {"Face", json::object()}});
  protocol::GetVideoJobRequest r;
  r.job_id = job.job_id;
  r.max_results = 5;
  auto first = protocol::GetVideoJobResponse(job, r);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)["Faces"].size(), 5u);
  const std::string token = (*first)["NextToken"];
  r.next_token = token;
  auto second = protocol::GetVideoJobResponse(job, r);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)["Faces"][0]["Timestamp"], 1000);
  const std::string other_job = protocol::EncodeBase64("job-2 T 5");
  for (const std::string& junk :
       {std::string("junk"), std::string("!!!!"), token + "A", other_job,
        protocol::EncodeBase64("job-1 T 0"), protocol::EncodeBase64("job-1 T 12"),
        protocol::EncodeBase64("job-1 T -1"), protocol::EncodeBase64("job-1 T 99999999999999999"),
        protocol::EncodeBase64("job-1 I 5"), protocol::EncodeBase64("job-1 T 5x")}) {
    r.next_token = junk;
    EXPECT_EQ(protocol::GetVideoJobResponse(job, r).status().code(),
              StatusCode::kInvalidPaginationToken)
        << junk;
  }
  // A search job's entries sorted by INDEX; malformed ones (as a damaged
  // jobs file could hold) sort as index 0 instead of crashing.
  video::StoredVideoJob search = job;
  search.request.kind = video::VideoJobKind::kFaceSearch;
  search.results = json::array({{{"Person", {{"Index", 2}}}},
                                {{"Person", {{"Index", 1}}}},
                                {{"Person", 5}},
                                json("junk"),
                                {{"Person", {{"Index", "x"}}}}});
  protocol::GetVideoJobRequest by_index;
  by_index.job_id = search.job_id;
  by_index.sort_by_index = true;
  auto sorted = protocol::GetVideoJobResponse(search, by_index);
  ASSERT_TRUE(sorted.ok()) << sorted.status().ToString();
  ASSERT_EQ((*sorted)["Persons"].size(), 5u);
  EXPECT_EQ((*sorted)["Persons"][3]["Person"]["Index"], 1);
  EXPECT_EQ((*sorted)["Persons"][4]["Person"]["Index"], 2);

  // What the similarities mean, when the job searched.
  EXPECT_FALSE(sorted->contains("CandorCalibrationVersion"));
  EXPECT_FALSE(sorted->contains("CandorCollectionFalseMatchRate"));
  search.search = {"2026-12-07-3f9c0a12d4e5b6c7", 0.5};
  auto named = protocol::GetVideoJobResponse(search, by_index);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ((*named)["CandorCalibrationVersion"], "2026-12-07-3f9c0a12d4e5b6c7");
  EXPECT_EQ((*named)["CandorCollectionFalseMatchRate"], 0.5);

  // IN_PROGRESS: no results, no metadata.
  job.status = video::VideoJobStatus::kInProgress;
  r.next_token.clear();
  auto running = protocol::GetVideoJobResponse(job, r);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ((*running)["JobStatus"], "IN_PROGRESS");
  EXPECT_FALSE(running->contains("Faces"));
  EXPECT_FALSE(running->contains("VideoMetadata"));
}

TEST_F(VideoRequestsTest, JobStoreRoundTripsAndRefusesAForeignFile) {
  const std::string path = dir_.path() + "/video_jobs.db";
  video::StoredVideoJob job;
  job.job_id = "j1";
  job.request.kind = video::VideoJobKind::kFaceSearch;
  job.request.bucket = "videos";
  job.request.name = "a.mp4";
  job.request.collection_id = "c";
  job.request.face_match_threshold = 90;
  job.caller = {"alice", "test", "r1", "case-1"};
  job.policy = {"purpose", 90, 99, 10};
  {
    auto store = video::VideoJobStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Insert(job).ok());
    EXPECT_EQ((*store)->Insert(job).code(), StatusCode::kAlreadyExists);
    job.status = video::VideoJobStatus::kSucceeded;
    job.metadata.frame_width = 640;
    job.results = json::array({{{"Timestamp", 0}}});
    job.search = {"2026-12-07-3f9c0a12d4e5b6c7", 0.125};
    ASSERT_TRUE((*store)->Complete(job).ok());
  }
  auto store = video::VideoJobStore::Open(path);
  ASSERT_TRUE(store.ok());
  auto all = (*store)->LoadAll();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].request.Parameters(), job.request.Parameters());
  EXPECT_EQ((*all)[0].caller.reason, "case-1");
  EXPECT_FLOAT_EQ((*all)[0].policy.threshold_applied, 99);
  EXPECT_EQ((*all)[0].status, video::VideoJobStatus::kSucceeded);
  EXPECT_EQ((*all)[0].metadata.frame_width, 640);
  EXPECT_EQ((*all)[0].results, job.results);
  EXPECT_EQ((*all)[0].search.calibration_version, "2026-12-07-3f9c0a12d4e5b6c7");
  EXPECT_EQ((*all)[0].search.collection_false_match_rate, 0.125);
  store->reset();
  // Not SQLite at all: refused, left unchanged.
  const std::string junk = dir_.path() + "/junk.db";
  std::ofstream(junk) << "definitely not a database, just some text of some length........";
  const auto size = fs::file_size(junk);
  EXPECT_FALSE(video::VideoJobStore::Open(junk).ok());
  EXPECT_EQ(fs::file_size(junk), size);
}

// A file written before search_json existed (format 1) is upgraded when
// opened: its jobs load with no calibration, and new ends record one.
TEST_F(VideoRequestsTest, JobStoreUpgradesAFormatOneFile) {
  const std::string path = dir_.path() + "/video_jobs.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* v1 = R"sql(
    CREATE TABLE video_jobs (
      seq INTEGER PRIMARY KEY,
      job_id TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL CHECK (kind IN ('FaceDetection', 'FaceSearch')),
      request_json TEXT NOT NULL,
      caller_json TEXT NOT NULL,
      policy_json TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('IN_PROGRESS', 'SUCCEEDED', 'FAILED')),
      status_message TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      completed_ms INTEGER NOT NULL,
      metadata_json TEXT NOT NULL,
      results_json TEXT NOT NULL
    ) STRICT;
    INSERT INTO video_jobs (job_id, kind, request_json, caller_json, policy_json, status,
      status_message, created_ms, completed_ms, metadata_json, results_json) VALUES (
      'old', 'FaceSearch',
      '{"Kind":"FaceSearch","Bucket":"b","Name":"n","Version":"","JobTag":"",
        "FaceAttributes":"DEFAULT","CollectionId":"c","FaceMatchThreshold":80,
        "VideoPath":"/v","ClientRequestToken":""}',
      '{"Principal":"p","Source":"s","RequestId":"r","Reason":""}',
      '{"Purpose":"x","ThresholdRequested":80,"ThresholdApplied":99,"MaxMatches":10}',
      'SUCCEEDED', '', 1, 2,
      '{"Codec":"h264","Format":"mp4","DurationMillis":0,"FrameRate":25,"FrameWidth":1,
        "FrameHeight":1}',
      '[]');
    PRAGMA application_id = 1129728610;
    PRAGMA user_version = 1;)sql";
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_close(db);

  {
    auto store = video::VideoJobStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto all = (*store)->LoadAll();
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->size(), 1u);
    video::StoredVideoJob job = (*all)[0];
    EXPECT_EQ(job.job_id, "old");
    EXPECT_TRUE(job.search.calibration_version.empty());
    EXPECT_FALSE(job.search.collection_false_match_rate.has_value());
    job.search.calibration_version = "v2";
    ASSERT_TRUE((*store)->Complete(job).ok());
  }
  auto store = video::VideoJobStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto all = (*store)->LoadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].search.calibration_version, "v2");
  store->reset();
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 2);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace candor
