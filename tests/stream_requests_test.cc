// The stream-processor request parsers (protocol/stream_requests.h) on valid
// and hostile bodies: wrong JSON types are SerializationException, missing or
// out-of-range values InvalidParameterException, unsupported Kinesis-only
// members refused by name; and the response shapes.
#include "protocol/stream_requests.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace candor::protocol {
namespace {

using nlohmann::json;

json ValidCreate() {
  return json::parse(R"({
    "Name": "door-1.cam_A",
    "Input": {"KinesisVideoStream": {"Arn": "udp://127.0.0.1:5000"}},
    "Output": {"KinesisDataStream": {"Arn": "file:///var/lib/candor/out.jsonl"}},
    "RoleArn": "arn:aws:iam::123456789012:role/x",
    "Settings": {"FaceSearch": {"CollectionId": "people", "FaceMatchThreshold": 85.5}},
    "Tags": {"team": "security"}
  })");
}

TEST(StreamRequestsTest, ParsesAValidCreate) {
  auto d = ParseCreateStreamProcessor(ValidCreate());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->name, "door-1.cam_A");
  EXPECT_EQ(d->input_url, "udp://127.0.0.1:5000");
  EXPECT_EQ(d->output_url, "file:///var/lib/candor/out.jsonl");
  EXPECT_EQ(d->role_arn, "arn:aws:iam::123456789012:role/x");
  EXPECT_EQ(d->collection_id, "people");
  EXPECT_FLOAT_EQ(d->face_match_threshold, 85.5f);
  // FaceMatchThreshold defaults to Rekognition's 80; null is absent.
  json body = ValidCreate();
  body["Settings"]["FaceSearch"]["FaceMatchThreshold"] = nullptr;
  body["RoleArn"] = nullptr;
  d = ParseCreateStreamProcessor(body);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->face_match_threshold, 80);
  EXPECT_EQ(d->role_arn, "");
}

struct Case {
  std::string what;
  std::function<void(json&)> edit;
  StatusCode code;
};

TEST(StreamRequestsTest, RefusesHostileCreates) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<Case> cases = {
      {"no Name", [](json& b) { b.erase("Name"); }, StatusCode::kInvalidArgument},
      {"Name number", [](json& b) { b["Name"] = 7; }, StatusCode::kSerialization},
      {"Name empty", [](json& b) { b["Name"] = ""; }, StatusCode::kInvalidArgument},
      {"Name slash", [](json& b) { b["Name"] = "a/b"; }, StatusCode::kInvalidArgument},
      {"Name NUL", [](json& b) { b["Name"] = std::string("a\0b", 3); },
       StatusCode::kInvalidArgument},
      {"Name unicode", [](json& b) { b["Name"] = "caf\xc3\xa9"; }, StatusCode::kInvalidArgument},
      {"Name 129", [](json& b) { b["Name"] = std::string(129, 'a'); },
       StatusCode::kInvalidArgument},
      {"no Input", [](json& b) { b.erase("Input"); }, StatusCode::kInvalidArgument},
      {"Input list", [](json& b) { b["Input"] = json::array(); }, StatusCode::kSerialization},
      {"Input string", [](json& b) { b["Input"] = "udp://x"; }, StatusCode::kSerialization},
      {"no KVS", [](json& b) { b["Input"] = json::object(); }, StatusCode::kInvalidArgument},
      {"KVS Arn missing", [](json& b) { b["Input"]["KinesisVideoStream"] = json::object(); },
       StatusCode::kInvalidArgument},
      {"KVS Arn number", [](json& b) { b["Input"]["KinesisVideoStream"]["Arn"] = 5; },
       StatusCode::kSerialization},
      {"KVS Arn empty", [](json& b) { b["Input"]["KinesisVideoStream"]["Arn"] = ""; },
       StatusCode::kInvalidArgument},
      {"KVS Arn huge",
       [](json& b) { b["Input"]["KinesisVideoStream"]["Arn"] = std::string(5000, 'x'); },
       StatusCode::kInvalidArgument},
      {"no Output", [](json& b) { b.erase("Output"); }, StatusCode::kInvalidArgument},
      {"S3Destination",
       [](json& b) {
         b["Output"]["S3Destination"] = {{"Bucket", "b"}};
       },
       StatusCode::kInvalidArgument},
      {"KDS object", [](json& b) { b["Output"]["KinesisDataStream"] = true; },
       StatusCode::kSerialization},
      {"KDS Arn list", [](json& b) { b["Output"]["KinesisDataStream"]["Arn"] = json::array(); },
       StatusCode::kSerialization},
      {"no Settings", [](json& b) { b.erase("Settings"); }, StatusCode::kInvalidArgument},
      {"ConnectedHome",
       [](json& b) {
         b["Settings"]["ConnectedHome"] = {{"Labels", {"PERSON"}}};
       },
       StatusCode::kInvalidArgument},
      {"no FaceSearch", [](json& b) { b["Settings"].erase("FaceSearch"); },
       StatusCode::kInvalidArgument},
      {"no CollectionId", [](json& b) { b["Settings"]["FaceSearch"].erase("CollectionId"); },
       StatusCode::kInvalidArgument},
      {"CollectionId bad", [](json& b) { b["Settings"]["FaceSearch"]["CollectionId"] = "a b"; },
       StatusCode::kInvalidArgument},
      {"threshold 150", [](json& b) { b["Settings"]["FaceSearch"]["FaceMatchThreshold"] = 150; },
       StatusCode::kInvalidArgument},
      {"threshold -1", [](json& b) { b["Settings"]["FaceSearch"]["FaceMatchThreshold"] = -1; },
       StatusCode::kInvalidArgument},
      {"threshold NaN", [nan](json& b) { b["Settings"]["FaceSearch"]["FaceMatchThreshold"] = nan; },
       StatusCode::kInvalidArgument},
      {"threshold 1e308",
       [](json& b) { b["Settings"]["FaceSearch"]["FaceMatchThreshold"] = 1e308; },
       StatusCode::kInvalidArgument},
      {"threshold string",
       [](json& b) { b["Settings"]["FaceSearch"]["FaceMatchThreshold"] = "90"; },
       StatusCode::kSerialization},
      {"RoleArn number", [](json& b) { b["RoleArn"] = 1; }, StatusCode::kSerialization},
      {"RoleArn huge", [](json& b) { b["RoleArn"] = std::string(3000, 'r'); },
       StatusCode::kInvalidArgument},
      {"Tags list", [](json& b) { b["Tags"] = json::array({"a"}); }, StatusCode::kSerialization},
      {"Tags value", [](json& b) { b["Tags"]["x"] = 1; }, StatusCode::kSerialization},
      {"KmsKeyId number", [](json& b) { b["KmsKeyId"] = 1; }, StatusCode::kSerialization},
      {"NotificationChannel string", [](json& b) { b["NotificationChannel"] = "sns"; },
       StatusCode::kSerialization},
      {"RegionsOfInterest", [](json& b) { b["RegionsOfInterest"] = json::array({json::object()}); },
       StatusCode::kInvalidArgument},
      {"RegionsOfInterest object", [](json& b) { b["RegionsOfInterest"] = json::object(); },
       StatusCode::kSerialization},
  };
  for (const Case& c : cases) {
    json body = ValidCreate();
    c.edit(body);
    auto d = ParseCreateStreamProcessor(body);
    ASSERT_FALSE(d.ok()) << c.what;
    EXPECT_EQ(d.status().code(), c.code) << c.what << ": " << d.status().ToString();
    EXPECT_FALSE(d.status().message().empty()) << c.what;
  }
  for (const json& body : {json(nullptr), json::array(), json("x"), json(3)}) {
    EXPECT_EQ(ParseCreateStreamProcessor(body).status().code(), StatusCode::kSerialization);
    EXPECT_EQ(ParseStreamProcessorName(body).status().code(), StatusCode::kSerialization);
    EXPECT_EQ(ParseListStreamProcessors(body).status().code(), StatusCode::kSerialization);
  }
}

TEST(StreamRequestsTest, NameRequests) {
  auto name = ParseStreamProcessorName({{"Name", "cam-1"}});
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "cam-1");
  EXPECT_EQ(ParseStreamProcessorName(json::object()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseStreamProcessorName({{"Name", nullptr}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseStreamProcessorName({{"Name", {1}}}).status().code(), StatusCode::kSerialization);
  EXPECT_EQ(ParseStreamProcessorName({{"Name", "../x"}}).status().code(),
            StatusCode::kInvalidArgument);
  auto selector = ParseStreamProcessorName(
      {{"Name", "cam"},
       {"StartSelector", {{"KVSStreamStartSelector", {{"ProducerTimestamp", 1}}}}}});
  EXPECT_EQ(selector.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(selector.status().message().find("StartSelector"), std::string::npos);
  EXPECT_EQ(
      ParseStreamProcessorName({{"Name", "cam"}, {"StopSelector", json::object()}}).status().code(),
      StatusCode::kInvalidArgument);
}

TEST(StreamRequestsTest, ListRequests) {
  auto r = ParseListStreamProcessors(json::object());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_results, 0);
  r = ParseListStreamProcessors({{"MaxResults", 5.0}, {"NextToken", "sp.61"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_results, 5);
  EXPECT_EQ(r->next_token, "sp.61");
  EXPECT_EQ(ParseListStreamProcessors({{"MaxResults", 0}}).status().code(),
            StatusCode::kInvalidArgument);
  // The model sets no maximum; more than 1000 means 1000.
  EXPECT_EQ(ParseListStreamProcessors({{"MaxResults", 100000}})->max_results, 1000);
  EXPECT_EQ(ParseListStreamProcessors({{"MaxResults", 2.5}}).status().code(),
            StatusCode::kSerialization);
  EXPECT_EQ(ParseListStreamProcessors({{"MaxResults", "5"}}).status().code(),
            StatusCode::kSerialization);
  EXPECT_EQ(ParseListStreamProcessors({{"MaxResults", 1e300}})->max_results, 1000);
  EXPECT_EQ(ParseListStreamProcessors({{"MaxResults", -5}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseListStreamProcessors({{"NextToken", 3}}).status().code(),
            StatusCode::kSerialization);
  EXPECT_EQ(ParseListStreamProcessors({{"NextToken", std::string(300, 'a')}}).status().code(),
            StatusCode::kInvalidPaginationToken);
}

TEST(StreamRequestsTest, ResponseShapes) {
  video::StreamProcessorInfo info;
  info.definition.name = "cam";
  info.definition.arn = "arn:aws:rekognition:candor:local:streamprocessor/cam";
  info.definition.input_url = "udp://127.0.0.1:5000";
  info.definition.output_url = "http://127.0.0.1:9000/events";
  info.definition.collection_id = "people";
  info.definition.face_match_threshold = 90;
  info.definition.created_ms = 1500;
  info.status = video::StreamProcessorStatus::kRunning;
  info.status_message = "reconnecting";
  json d = DescribeStreamProcessorResponse(info);
  EXPECT_EQ(d["Status"], "RUNNING");
  EXPECT_EQ(d["StatusMessage"], "reconnecting");
  EXPECT_EQ(d["CreationTimestamp"], 1.5);
  EXPECT_EQ(d["Output"]["KinesisDataStream"]["Arn"], "http://127.0.0.1:9000/events");
  EXPECT_EQ(d["Settings"]["FaceSearch"]["CollectionId"], "people");
  EXPECT_FALSE(d.contains("CandorSession"));
  EXPECT_FALSE(d.contains("RoleArn"));
  info.session = video::SessionStats{};
  info.session->reconnects = 4;
  info.session->frames_dropped = 12;
  info.session->processing_fps = 9.5;
  d = DescribeStreamProcessorResponse(info);
  EXPECT_EQ(d["CandorSession"]["Reconnects"], 4);
  EXPECT_EQ(d["CandorSession"]["FramesDropped"], 12);
  EXPECT_EQ(d["CandorSession"]["ProcessingFps"], 9.5);

  video::StreamProcessorPage page;
  page.processors.push_back(info);
  page.next_token = "sp.63616d";
  const json l = ListStreamProcessorsResponse(page);
  EXPECT_EQ(l["StreamProcessors"][0]["Name"], "cam");
  EXPECT_EQ(l["StreamProcessors"][0]["Status"], "RUNNING");
  EXPECT_EQ(l["NextToken"], "sp.63616d");
  for (auto s :
       {video::StreamProcessorStatus::kStopped, video::StreamProcessorStatus::kStarting,
        video::StreamProcessorStatus::kRunning, video::StreamProcessorStatus::kFailed,
        video::StreamProcessorStatus::kStopping, video::StreamProcessorStatus::kUpdating}) {
    EXPECT_EQ(video::ParseStatusName(video::StatusName(s)), s);
  }
  EXPECT_FALSE(video::ParseStatusName("running").has_value());
}

}  // namespace
}  // namespace candor::protocol
