// Tests of the Rekognition request parsers (src/protocol/requests.h): every
// operation from the body an AWS SDK (boto3) sends, the defaults, each kind of
// error with its StatusCode, strict base64, S3Object images under a temporary
// object root (traversal and escaping links included), and hostile values.
// No models needed.
#include "protocol/requests.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "collections/validation.h"
#include "requests_test_support.h"
#include "test_support.h"

namespace candor::protocol {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using namespace candor::protocol::test;  // NOLINT

TEST(ParseRequestTest, DetectFaces) {
  auto r = ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", {"ALL"}}}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->image_bytes, kImage);
  EXPECT_EQ(r->attributes, AttributeSet::kAll);

  r = ParseDetectFaces({{"Image", Bytes(kImage)}}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->attributes, AttributeSet::kDefault);
  for (const json& attributes : {json::array(), json({"DEFAULT"}), json(nullptr)}) {
    r = ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", attributes}}, {});
    ASSERT_TRUE(r.ok()) << attributes.dump();
    EXPECT_EQ(r->attributes, AttributeSet::kDefault) << attributes.dump();
  }
  // Named attributes ask for those (and DEFAULT's members) only, so that
  // only the networks they need run; ALL wins over any list.
  const std::pair<json, AttributeSet> kNamed[] = {
      {json({"DEFAULT", "ALL"}), AttributeSet::kAll},
      {json({"EMOTIONS", "ALL"}), AttributeSet::kAll},
      {json({"AGE_RANGE"}), AttributeSet::kAgeRange},
      {json({"DEFAULT", "EMOTIONS", "SMILE"}), AttributeSet::kEmotions | AttributeSet::kSmile},
      {json({"GENDER", "EYES_OPEN", "MOUTH_OPEN"}),
       AttributeSet::kGender | AttributeSet::kEyesOpen | AttributeSet::kMouthOpen},
      {json({"FACE_OCCLUDED"}), AttributeSet::kDefault},  // no network here
  };
  for (const auto& [attributes, expected] : kNamed) {
    r = ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", attributes}}, {});
    ASSERT_TRUE(r.ok()) << attributes.dump();
    EXPECT_EQ(r->attributes, expected) << attributes.dump();
  }
  // What was asked for and is not produced here is named, never guessed.
  EXPECT_EQ(AttributesNotProduced({{"Attributes", {"FACE_OCCLUDED", "AGE_RANGE", "BEARD"}}},
                                  "Attributes"),
            (std::vector<std::string>{"BEARD", "FACE_OCCLUDED"}));
  EXPECT_EQ(AttributesNotProduced({{"Attributes", {"ALL"}}}, "Attributes"),
            (std::vector<std::string>{"BEARD", "EYE_DIRECTION", "EYEGLASSES", "MUSTACHE",
                                      "FACE_OCCLUDED", "SUNGLASSES"}));
  EXPECT_TRUE(AttributesNotProduced({{"Attributes", {"EMOTIONS"}}}, "Attributes").empty());
  EXPECT_TRUE(AttributesNotProduced(json::object(), "Attributes").empty());
  EXPECT_CODE(ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", {"all"}}}, {}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", {"NOSE"}}}, {}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", "ALL"}}, {}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", {1}}}, {}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseDetectFaces(json::object(), {}), StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, CompareFaces) {
  const std::string target = kImage + "target";
  auto r = ParseCompareFaces({{"SourceImage", Bytes(kImage)},
                              {"TargetImage", Bytes(target)},
                              {"SimilarityThreshold", 90.5},
                              {"QualityFilter", "HIGH"}},
                             {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source_bytes, kImage);
  EXPECT_EQ(r->target_bytes, target);
  EXPECT_FLOAT_EQ(r->similarity_threshold, 90.5f);
  EXPECT_EQ(r->quality_filter, QualityFilter::kHigh);

  r = ParseCompareFaces({{"SourceImage", Bytes(kImage)}, {"TargetImage", Bytes(target)}}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_FLOAT_EQ(r->similarity_threshold, CompareFacesRequest{}.similarity_threshold);
  EXPECT_EQ(r->quality_filter, QualityFilter::kNone);

  r = ParseCompareFaces(
      {{"SourceImage", Bytes(kImage)}, {"TargetImage", Bytes(target)}, {"SimilarityThreshold", 0}},
      {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->similarity_threshold, 0.f);

  EXPECT_CODE(ParseCompareFaces({{"SourceImage", Bytes(kImage)}}, {}),
              StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseCompareFaces({{"SourceImage", Bytes(kImage)}}, {}), "TargetImage");
  EXPECT_CODE(ParseCompareFaces({{"SourceImage", Bytes(kImage)},
                                 {"TargetImage", Bytes(target)},
                                 {"SimilarityThreshold", 100.01}},
                                {}),
              StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseCompareFaces({{"SourceImage", Bytes(kImage)},
                                        {"TargetImage", Bytes(target)},
                                        {"SimilarityThreshold", -1}},
                                       {}),
                     "SimilarityThreshold must be between 0 and 100, got -1");
  EXPECT_CODE(ParseCompareFaces({{"SourceImage", Bytes(kImage)},
                                 {"TargetImage", Bytes(target)},
                                 {"SimilarityThreshold", "80"}},
                                {}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseCompareFaces({{"SourceImage", Bytes(kImage)},
                                 {"TargetImage", Bytes(target)},
                                 {"QualityFilter", "BEST"}},
                                {}),
              StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, CollectionId) {
  auto id = ParseCollectionId({{"CollectionId", "my-faces_1.0"}});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "my-faces_1.0");
  id = ParseCollectionId({{"CollectionId", "staff"}, {"Tags", {{"team", "hr"}, {"env", ""}}}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "staff");

  EXPECT_CODE(ParseCollectionId(json::object()), StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseCollectionId(json::object()), "CollectionId is required");
  EXPECT_CODE(ParseCollectionId({{"CollectionId", ""}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCollectionId({{"CollectionId", "bad id"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCollectionId({{"CollectionId", std::string(256, 'a')}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCollectionId({{"CollectionId", 12}}), StatusCode::kSerialization);
  // CreateCollection's Tags: kept, and checked as Rekognition's TagMap.
  auto created = ParseCreateCollection({{"CollectionId", "staff"}, {"Tags", {{"team", "door"}}}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->collection_id, "staff");
  EXPECT_EQ(created->tags, (Tags{{"team", "door"}}));
  EXPECT_CODE(ParseCreateCollection({{"CollectionId", "staff"}, {"Tags", {{"team", 1}}}}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseCreateCollection({{"CollectionId", "staff"}, {"Tags", {"team"}}}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseCreateCollection({{"CollectionId", "staff"}, {"Tags", {{"aws:owner", "x"}}}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCreateCollection({{"CollectionId", "staff"}, {"Tags", {{"", "x"}}}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(
      ParseCreateCollection({{"CollectionId", "staff"}, {"Tags", {{std::string(129, 'k'), "x"}}}}),
      StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCreateCollection({{"CollectionId", "staff"}, {"Tags", {{"k", "a;b"}}}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCreateCollection({{"CollectionId", "staff"}, {"Tags", {{"k", "\xff"}}}}),
              StatusCode::kInvalidArgument);
  json many = json::object();
  for (int i = 0; i < 201; ++i) many[std::to_string(i)] = "v";
  EXPECT_CODE(ParseCreateCollection({{"CollectionId", "staff"}, {"Tags", many}}),
              StatusCode::kInvalidArgument);
  // Letters of any script, spaces and the listed symbols are allowed.
  EXPECT_TRUE(ParseCreateCollection({{"CollectionId", "staff"},
                                     {"Tags", {{"Abteilung Süd", "Zürich/Wache 2: +@=_.-"}}}})
                  .ok());
  // Unknown members are ignored.
  EXPECT_TRUE(ParseCollectionId({{"CollectionId", "staff"}, {"Surprise", {1, 2}}}).ok());
}

TEST(ParseRequestTest, ListCollectionsFacesUsers) {
  auto r = ParseListCollections({{"NextToken", "c.6162"}, {"MaxResults", 10}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->collection_id, "");
  EXPECT_EQ(r->next_token, "c.6162");
  EXPECT_EQ(r->max_results, 10);
  r = ParseListCollections(json::object());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_results, 0);
  EXPECT_EQ(r->next_token, "");
  EXPECT_TRUE(ParseListCollections({{"MaxResults", 4096}}).ok());
  EXPECT_CODE(ParseListCollections({{"MaxResults", 4097}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseListCollections({{"NextToken", 5}}), StatusCode::kSerialization);

  r = ParseListFaces({{"CollectionId", "staff"}, {"MaxResults", 4096}, {"NextToken", "f.00"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->max_results, 4096);
  EXPECT_EQ(r->next_token, "f.00");
  EXPECT_CODE(ParseListFaces(json::object()), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"MaxResults", -1}}),
              StatusCode::kInvalidArgument);
  r = ParseListFaces({{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceIds", {FaceId(1)}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->filter.user_id, "alice");
  EXPECT_EQ(r->filter.face_ids, std::vector<std::string>{FaceId(1)});
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"UserId", "no spaces"}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"FaceIds", json::array()}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"FaceIds", {"not-a-uuid"}}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"FaceIds", "x"}}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"FaceIds", {1, 2}}}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"},
                              {"FaceIds", std::vector<std::string>(4097, FaceId(1))}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"UserId", 3}}),
              StatusCode::kSerialization);
  EXPECT_TRUE(ParseListFaces({{"CollectionId", "staff"}, {"UserId", nullptr}}).ok());

  r = ParseListUsers({{"CollectionId", "staff"}, {"MaxResults", 500}, {"NextToken", "u.61"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->max_results, 500);
  EXPECT_EQ(r->next_token, "u.61");
  EXPECT_MESSAGE_HAS(ParseListUsers({{"CollectionId", "staff"}, {"MaxResults", 501}}),
                     "MaxResults must be between 1 and 500, got 501");
  // Rekognition's MaxUserResults has a minimum of 1.
  EXPECT_CODE(ParseListUsers({{"CollectionId", "staff"}, {"MaxResults", 0}}),
              StatusCode::kInvalidArgument);
  // PaginationToken is at most 255 characters.
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"NextToken", std::string(256, 'f')}}),
              StatusCode::kInvalidPaginationToken);
  EXPECT_TRUE(ParseListFaces({{"CollectionId", "staff"}, {"NextToken", std::string(255, 'f')}}).ok());
}

TEST(ParseRequestTest, IndexFaces) {
  auto r = ParseIndexFaces({{"CollectionId", "staff"},
                            {"Image", Bytes(kImage)},
                            {"ExternalImageId", "alice_01.jpg"},
                            {"DetectionAttributes", {"ALL"}},
                            {"MaxFaces", 1},
                            {"QualityFilter", "LOW"}},
                           {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->image_bytes, kImage);
  EXPECT_EQ(r->external_image_id, "alice_01.jpg");
  EXPECT_EQ(r->detection_attributes, AttributeSet::kAll);
  EXPECT_EQ(r->max_faces, 1);
  EXPECT_EQ(r->quality_filter, QualityFilter::kLow);

  r = ParseIndexFaces({{"CollectionId", "staff"}, {"Image", Bytes(kImage)}}, {});
  ASSERT_TRUE(r.ok());
  const IndexFacesRequest defaults;
  EXPECT_EQ(r->external_image_id, "");
  EXPECT_EQ(r->max_faces, defaults.max_faces);
  EXPECT_EQ(r->quality_filter, QualityFilter::kAuto);
  EXPECT_EQ(r->detection_attributes, AttributeSet::kDefault);

  const json base = {{"CollectionId", "staff"}, {"Image", Bytes(kImage)}};
  auto with = [&base](const char* name, json value) {
    json body = base;
    body[name] = std::move(value);
    return body;
  };
  EXPECT_TRUE(ParseIndexFaces(with("MaxFaces", 100), {}).ok());
  EXPECT_CODE(ParseIndexFaces(with("MaxFaces", 0), {}), StatusCode::kInvalidArgument);
  // Rekognition indexes at most the 100 largest faces: more is capped, not
  // refused.
  for (json many : {json(101), json(1000), json(1e9), json(18446744073709551615ull)}) {
    auto capped = ParseIndexFaces(with("MaxFaces", many), {});
    ASSERT_TRUE(capped.ok()) << many.dump();
    EXPECT_EQ(capped->max_faces, 100) << many.dump();
  }
  EXPECT_CODE(ParseIndexFaces(with("MaxFaces", -1), {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces(with("MaxFaces", 1000.5), {}), StatusCode::kSerialization);
  EXPECT_CODE(ParseIndexFaces(with("MaxFaces", "3"), {}), StatusCode::kSerialization);
  // Fractional counts are not Integers: SerializationException. 3.0 is 3.
  EXPECT_CODE(ParseIndexFaces(with("MaxFaces", 3.5), {}), StatusCode::kSerialization);
  r = ParseIndexFaces(with("MaxFaces", 3.0), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_faces, 3);
  EXPECT_CODE(ParseIndexFaces(with("ExternalImageId", "a b"), {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces(with("ExternalImageId", ""), {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces(with("ExternalImageId", 1), {}), StatusCode::kSerialization);
  EXPECT_CODE(ParseIndexFaces(with("DetectionAttributes", {"DEFAULT", "BOGUS"}), {}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces(with("QualityFilter", "auto"), {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces(with("QualityFilter", 1), {}), StatusCode::kSerialization);
  EXPECT_CODE(ParseIndexFaces(with("CollectionId", "bad/id"), {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces({{"CollectionId", "staff"}}, {}), StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, DeleteFaces) {
  auto r = ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", {FaceId(1), FaceId(2)}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->face_ids, (std::vector<std::string>{FaceId(1), FaceId(2)}));

  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", json::array()}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", {"not-a-uuid"}}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", FaceId(1)}}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", {FaceId(1), 2}}}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseDeleteFaces({{"FaceIds", {FaceId(1)}}}), StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, SearchFacesByImage) {
  auto r = ParseSearchFacesByImage({{"CollectionId", "staff"},
                                    {"Image", Bytes(kImage)},
                                    {"MaxFaces", 5},
                                    {"FaceMatchThreshold", 95},
                                    {"QualityFilter", "MEDIUM"}},
                                   {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->search.collection_id, "staff");
  EXPECT_EQ(r->image_bytes, kImage);
  EXPECT_EQ(r->search.max_faces, 5);
  EXPECT_FLOAT_EQ(r->search.face_match_threshold, 95.f);
  EXPECT_EQ(r->search.quality_filter, QualityFilter::kMedium);

  r = ParseSearchFacesByImage({{"CollectionId", "staff"}, {"Image", Bytes(kImage)}}, {});
  ASSERT_TRUE(r.ok());
  const SearchRequest defaults;
  EXPECT_EQ(r->search.max_faces, defaults.max_faces);
  EXPECT_FLOAT_EQ(r->search.face_match_threshold, defaults.face_match_threshold);
  EXPECT_EQ(r->search.quality_filter, QualityFilter::kNone);

  const json base = {{"CollectionId", "staff"}, {"Image", Bytes(kImage)}};
  json body = base;
  body["MaxFaces"] = 4096;
  EXPECT_TRUE(ParseSearchFacesByImage(body, {}).ok());
  body["MaxFaces"] = 0;
  EXPECT_MESSAGE_HAS(ParseSearchFacesByImage(body, {}),
                     "MaxFaces must be between 1 and 4096, got 0");
  body = base;
  body["FaceMatchThreshold"] = 101;
  EXPECT_CODE(ParseSearchFacesByImage(body, {}), StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, SearchFaces) {
  auto r = ParseSearchFaces({{"CollectionId", "staff"},
                             {"FaceId", FaceId(7)},
                             {"MaxFaces", 10},
                             {"FaceMatchThreshold", 70.25}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->search.collection_id, "staff");
  EXPECT_EQ(r->face_id, FaceId(7));
  EXPECT_EQ(r->search.max_faces, 10);
  EXPECT_FLOAT_EQ(r->search.face_match_threshold, 70.25f);

  r = ParseSearchFaces({{"CollectionId", "staff"}, {"FaceId", FaceId(7)}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->search.max_faces, 80);
  EXPECT_FLOAT_EQ(r->search.face_match_threshold, 80.f);

  EXPECT_CODE(ParseSearchFaces({{"CollectionId", "staff"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseSearchFaces({{"CollectionId", "staff"}, {"FaceId", "7"}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseSearchFaces({{"CollectionId", "staff"}, {"FaceId", 7}}),
              StatusCode::kSerialization);
  EXPECT_CODE(
      ParseSearchFaces({{"CollectionId", "staff"}, {"FaceId", FaceId(7)}, {"MaxFaces", 4097}}),
      StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, CreateAndDeleteUser) {
  auto r = ParseUserRequest(
      {{"CollectionId", "staff"}, {"UserId", "alice:hr.1"}, {"ClientRequestToken", "3f2a-b_9"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->user_id, "alice:hr.1");
  EXPECT_EQ(r->client_request_token, "3f2a-b_9");

  r = ParseUserRequest({{"CollectionId", "staff"}, {"UserId", "alice"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->client_request_token, "");

  EXPECT_CODE(ParseUserRequest({{"CollectionId", "staff"}}), StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseUserRequest({{"CollectionId", "staff"}}), "UserId is required");
  EXPECT_CODE(ParseUserRequest({{"CollectionId", "staff"}, {"UserId", "al ice"}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseUserRequest({{"CollectionId", "staff"}, {"UserId", std::string(129, 'a')}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseUserRequest(
                  {{"CollectionId", "staff"}, {"UserId", "alice"}, {"ClientRequestToken", ""}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseUserRequest({{"CollectionId", "staff"},
                                {"UserId", "alice"},
                                {"ClientRequestToken", std::string(65, 'a')}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(
      ParseUserRequest({{"CollectionId", "staff"}, {"UserId", "alice"}, {"ClientRequestToken", 1}}),
      StatusCode::kSerialization);
}

TEST(ParseRequestTest, AssociateAndDisassociateFaces) {
  auto r = ParseAssociateFaces({{"CollectionId", "staff"},
                                {"UserId", "alice"},
                                {"FaceIds", {FaceId(1), FaceId(2)}},
                                {"UserMatchThreshold", 90},
                                {"ClientRequestToken", "tok"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->user_id, "alice");
  EXPECT_EQ(r->face_ids, (std::vector<std::string>{FaceId(1), FaceId(2)}));
  EXPECT_FLOAT_EQ(r->user_match_threshold, 90.f);
  EXPECT_EQ(r->client_request_token, "tok");

  r = ParseAssociateFaces(
      {{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceIds", {FaceId(1)}}});
  ASSERT_TRUE(r.ok());
  EXPECT_FLOAT_EQ(r->user_match_threshold, 75.f);

  json hundred_one = json::array();
  for (int i = 0; i < 101; ++i) hundred_one.push_back(FaceId(i));
  EXPECT_MESSAGE_HAS(
      ParseAssociateFaces(
          {{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceIds", hundred_one}}),
      "FaceIds must hold between 1 and 100 face ids, got 101");
  EXPECT_CODE(ParseAssociateFaces({{"CollectionId", "staff"},
                                   {"UserId", "alice"},
                                   {"FaceIds", {FaceId(1)}},
                                   {"UserMatchThreshold", 100.5}}),
              StatusCode::kInvalidArgument);

  auto d = ParseDisassociateFaces({{"CollectionId", "staff"},
                                   {"UserId", "alice"},
                                   {"FaceIds", {FaceId(3)}},
                                   {"ClientRequestToken", "tok-2"}});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->collection_id, "staff");
  EXPECT_EQ(d->user_id, "alice");
  EXPECT_EQ(d->face_ids, std::vector<std::string>{FaceId(3)});
  EXPECT_EQ(d->client_request_token, "tok-2");
  EXPECT_CODE(ParseDisassociateFaces({{"CollectionId", "staff"}, {"UserId", "alice"}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDisassociateFaces(
                  {{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceIds", hundred_one}}),
              StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, SearchUsers) {
  auto r = ParseSearchUsers({{"CollectionId", "staff"},
                             {"UserId", "alice"},
                             {"UserMatchThreshold", 60},
                             {"MaxUsers", 5}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->user_id, "alice");
  EXPECT_EQ(r->face_id, "");
  EXPECT_FLOAT_EQ(r->user_match_threshold, 60.f);
  EXPECT_EQ(r->max_users, 5);

  r = ParseSearchUsers({{"CollectionId", "staff"}, {"FaceId", FaceId(9)}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->face_id, FaceId(9));
  EXPECT_EQ(r->user_id, "");
  EXPECT_FLOAT_EQ(r->user_match_threshold, 80.f);
  EXPECT_EQ(r->max_users, 80);

  EXPECT_CODE(ParseSearchUsers({{"CollectionId", "staff"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(
      ParseSearchUsers({{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceId", FaceId(9)}}),
      StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseSearchUsers({{"CollectionId", "staff"}, {"UserId", ""}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseSearchUsers({{"CollectionId", "staff"}, {"FaceId", "nope"}}),
              StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(
      ParseSearchUsers({{"CollectionId", "staff"}, {"UserId", "alice"}, {"MaxUsers", 501}}),
      "MaxUsers must be between 1 and 500, got 501");
  EXPECT_CODE(ParseSearchUsers({{"CollectionId", "staff"}, {"UserId", "alice"}, {"MaxUsers", 0}}),
              StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, SearchUsersByImage) {
  auto r = ParseSearchUsersByImage({{"CollectionId", "staff"},
                                    {"Image", Bytes(kImage)},
                                    {"UserMatchThreshold", 85},
                                    {"MaxUsers", 3},
                                    {"QualityFilter", "AUTO"}},
                                   {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->search.collection_id, "staff");
  EXPECT_EQ(r->image_bytes, kImage);
  EXPECT_FLOAT_EQ(r->search.user_match_threshold, 85.f);
  EXPECT_EQ(r->search.max_users, 3);
  EXPECT_EQ(r->search.quality_filter, QualityFilter::kAuto);

  r = ParseSearchUsersByImage({{"CollectionId", "staff"}, {"Image", Bytes(kImage)}}, {});
  ASSERT_TRUE(r.ok());
  const SearchUsersByImageRequest defaults;
  EXPECT_FLOAT_EQ(r->search.user_match_threshold, defaults.user_match_threshold);
  EXPECT_EQ(r->search.max_users, defaults.max_users);
  EXPECT_EQ(r->search.quality_filter, QualityFilter::kNone);
  EXPECT_CODE(ParseSearchUsersByImage({{"CollectionId", "staff"}}, {}),
              StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, QualityFilterNames) {
  EXPECT_EQ(*ParseQualityFilter("NONE"), QualityFilter::kNone);
  EXPECT_EQ(*ParseQualityFilter("AUTO"), QualityFilter::kAuto);
  EXPECT_EQ(*ParseQualityFilter("LOW"), QualityFilter::kLow);
  EXPECT_EQ(*ParseQualityFilter("MEDIUM"), QualityFilter::kMedium);
  EXPECT_EQ(*ParseQualityFilter("HIGH"), QualityFilter::kHigh);
  EXPECT_CODE(ParseQualityFilter("high"), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseQualityFilter(""), StatusCode::kInvalidArgument);
}

// --- Hostile input ---

TEST(HostileRequestTest, BodyNotAnObject) {
  for (const json& body : {json(nullptr), json::array(), json("CollectionId"), json(3),
                           json::array({{{"CollectionId", "staff"}}})}) {
    EXPECT_CODE(ParseCollectionId(body), StatusCode::kSerialization);
    EXPECT_CODE(ParseListCollections(body), StatusCode::kSerialization);
    EXPECT_CODE(ParseDetectFaces(body, {}), StatusCode::kSerialization);
    EXPECT_CODE(ParseSearchUsers(body), StatusCode::kSerialization);
    EXPECT_CODE(ParseSearchUsersByImage(body, {}), StatusCode::kSerialization);
  }
}

TEST(HostileRequestTest, DeeplyNestedMembers) {
  // Bodies are built as text and parsed (nlohmann's parser and destructor
  // are iterative; copying a deep value would recurse).
  const int depth = 100000;
  const std::string nested_array = std::string(depth, '[') + std::string(depth, ']');
  std::string nested_object;
  for (int i = 0; i < depth; ++i) nested_object += "{\"a\":";
  nested_object += '1';
  nested_object.append(depth, '}');
  for (const std::string& nested : {nested_array, nested_object}) {
    auto body = [&nested](const std::string& before, const std::string& after = "}") {
      return json::parse(before + nested + after);
    };
    EXPECT_CODE(ParseCollectionId(body(R"({"CollectionId":)")), StatusCode::kSerialization);
    EXPECT_CODE(ParseDeleteFaces(body(R"({"CollectionId":"staff","FaceIds":[)", "]}")),
                StatusCode::kSerialization);
    EXPECT_CODE(ParseDetectFaces(body(R"({"Image":{"Bytes":)", "}}"), {}),
                StatusCode::kSerialization);
    // An Image or S3Object that is an object lacks the members it needs.
    const StatusCode image_code =
        nested[0] == '[' ? StatusCode::kSerialization : StatusCode::kInvalidArgument;
    EXPECT_CODE(ParseDetectFaces(body(R"({"Image":)"), {}), image_code);
    EXPECT_CODE(ParseDetectFaces(body(R"({"Image":{"S3Object":)", "}}"), {}), image_code);
    EXPECT_CODE(ParseSearchFaces(
                    body(R"({"CollectionId":"staff","FaceId":")" + FaceId(1) + R"(","MaxFaces":)")),
                StatusCode::kSerialization);
    EXPECT_CODE(ParseDetectFaces(body(R"({"Image":{"Bytes":"Zm9v"},"Attributes":)"), {}),
                StatusCode::kSerialization);
    EXPECT_CODE(ParseCreateCollection(body(R"({"CollectionId":"staff","Tags":{"k":)", "}}")),
                StatusCode::kSerialization);
    // Unknown members, however deep, are ignored.
    EXPECT_TRUE(ParseCollectionId(body(R"({"CollectionId":"staff","Extra":)")).ok());
    // The message does not echo the value.
    auto r = ParseCollectionId(body(R"({"CollectionId":)"));
    ASSERT_FALSE(r.ok());
    EXPECT_LT(r.status().message().size(), 200u);
  }
}

TEST(HostileRequestTest, HugeFaceIdLists) {
  json ids = json::array();
  for (int i = 0; i < 4096; ++i) ids.push_back(FaceId(i));
  auto r = ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", ids}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->face_ids.size(), 4096u);
  ids.push_back(FaceId(4096));
  EXPECT_MESSAGE_HAS(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", ids}}),
                     "FaceIds must hold between 1 and 4096 face ids, got 4097");
  // A million entries cost one pass and no copy of the list.
  json million = json::array();
  for (int i = 0; i < 1000000; ++i) million.push_back("x");
  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", million}}),
              StatusCode::kInvalidArgument);
  // Items that are not strings.
  for (const json& item :
       {json(1), json(nullptr), json::object(), json::array({FaceId(1)}), json(true)}) {
    SCOPED_TRACE(item.dump());
    EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", {FaceId(1), item}}}),
                StatusCode::kSerialization);
    EXPECT_CODE(
        ParseAssociateFaces(
            {{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceIds", json::array({item})}}),
        StatusCode::kSerialization);
  }
}

TEST(HostileRequestTest, Numbers) {
  const json base = {{"CollectionId", "staff"}, {"FaceId", FaceId(1)}};
  auto search = [&base](const char* name, const json& value) {
    json body = base;
    body[name] = value;
    return ParseSearchFaces(body);
  };
  // Thresholds.
  EXPECT_CODE(search("FaceMatchThreshold", 1e308), StatusCode::kInvalidArgument);
  EXPECT_CODE(search("FaceMatchThreshold", -1e308), StatusCode::kInvalidArgument);
  EXPECT_CODE(search("FaceMatchThreshold", std::numeric_limits<double>::quiet_NaN()),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(search("FaceMatchThreshold", std::numeric_limits<double>::infinity()),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(search("FaceMatchThreshold", "NaN"), StatusCode::kSerialization);
  EXPECT_CODE(search("FaceMatchThreshold", "80"), StatusCode::kSerialization);
  EXPECT_CODE(search("FaceMatchThreshold", true), StatusCode::kSerialization);
  EXPECT_CODE(search("FaceMatchThreshold", json::array({80})), StatusCode::kSerialization);
  EXPECT_CODE(search("FaceMatchThreshold", 18446744073709551615ull), StatusCode::kInvalidArgument);
  auto r = search("FaceMatchThreshold", json::parse("-0.0"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->search.face_match_threshold, 0.f);
  r = search("FaceMatchThreshold", json::parse("1e-320"));  // subnormal
  ASSERT_TRUE(r.ok());
  r = search("FaceMatchThreshold", nullptr);  // null: the default
  ASSERT_TRUE(r.ok());
  EXPECT_FLOAT_EQ(r->search.face_match_threshold, 80.f);

  // Counts.
  EXPECT_CODE(search("MaxFaces", 1e308), StatusCode::kInvalidArgument);
  // (1e400 does not parse: the server's body parser refuses it.)
  EXPECT_CODE(search("MaxFaces", std::numeric_limits<double>::infinity()),
              StatusCode::kSerialization);
  EXPECT_CODE(search("MaxFaces", -1), StatusCode::kInvalidArgument);
  EXPECT_CODE(search("MaxFaces", std::numeric_limits<int64_t>::min()),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(search("MaxFaces", 18446744073709551615ull), StatusCode::kInvalidArgument);
  EXPECT_CODE(search("MaxFaces", json::parse("4294967297")), StatusCode::kInvalidArgument);
  EXPECT_CODE(search("MaxFaces", json::parse("99999999999999999999999")),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(search("MaxFaces", std::numeric_limits<double>::quiet_NaN()),
              StatusCode::kSerialization);
  EXPECT_CODE(search("MaxFaces", "NaN"), StatusCode::kSerialization);
  EXPECT_CODE(search("MaxFaces", 2.5), StatusCode::kSerialization);
  EXPECT_CODE(search("MaxFaces", json::parse("-0")), StatusCode::kInvalidArgument);  // 0
  r = search("MaxFaces", json::parse("1e3"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->search.max_faces, 1000);
  auto list = ParseListCollections({{"MaxResults", json::parse("-0")}});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->max_results, 0);
  EXPECT_MESSAGE_HAS(search("MaxFaces", 1e308), "got 1e+308");
}

TEST(HostileRequestTest, StringsWithOddBytes) {
  // NUL and invalid UTF-8 in identifiers are refused by their patterns.
  EXPECT_CODE(ParseCollectionId({{"CollectionId", std::string("a\0b", 3)}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseUserRequest({{"CollectionId", "staff"}, {"UserId", "\xc3\xa9"}}),
              StatusCode::kInvalidArgument);
  // A 1 MB CollectionId: refused, and the message stays short.
  auto r = ParseCollectionId({{"CollectionId", std::string(1 << 20, 'a')}});
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.status().message().size(), 400u);
}

// TagResource / UntagResource / ListTagsForResource bodies and page tokens:
// hostile input gets a typed error, never a crash.
TEST(ParseRequestTest, HostileTagBodiesAndPageTokens) {
  const std::string arn = "arn:aws:rekognition:candor:000000000000:collection/c";
  EXPECT_TRUE(ParseTagRequest({{"ResourceArn", arn}, {"Tags", {{"a", "b"}}}}, TagOperation::kTag).ok());
  EXPECT_CODE(ParseTagRequest({{"ResourceArn", arn}}, TagOperation::kTag),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseTagRequest({{"ResourceArn", "short"}}, TagOperation::kList),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseTagRequest({{"ResourceArn", std::string(2049, 'a')}}, TagOperation::kList),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseTagRequest({{"ResourceArn", 7}}, TagOperation::kList),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseTagRequest({{"ResourceArn", arn}, {"TagKeys", "a"}}, TagOperation::kUntag),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseTagRequest({{"ResourceArn", arn}, {"TagKeys", {1}}}, TagOperation::kUntag),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseTagRequest({{"ResourceArn", arn}, {"TagKeys", {"aws:x"}}}, TagOperation::kUntag),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseTagRequest({{"ResourceArn", arn}, {"Tags", {{"k", std::string("\xc3\x28")}}}},
                              TagOperation::kTag),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseTagRequest({{"ResourceArn", arn}, {"Tags", {{"k", std::string("\xe2\x82")}}}},
                              TagOperation::kTag),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseTagRequest(json::array(), TagOperation::kList), StatusCode::kSerialization);

  // A token round-trips in its own list and collection only.
  const std::string token = EncodePageToken("f", "staff", "some-face-id");
  EXPECT_EQ(*DecodeShortPageToken("f", "staff", token), "some-face-id");
  EXPECT_EQ(DecodeShortPageToken("f", "visitors", token).status().code(),
            StatusCode::kInvalidPaginationToken);
  EXPECT_EQ(DecodeShortPageToken("u", "staff", token).status().code(),
            StatusCode::kInvalidPaginationToken);
  const std::string long_id(255, 'c');
  const std::string shortened = EncodePageToken("c", "", long_id);
  EXPECT_LE(shortened.size(), kMaxPageTokenChars);
  auto decoded = DecodePageToken("c", "", shortened);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->key_hash, PageKeyHash(long_id));
  EXPECT_EQ(DecodeShortPageToken("c", "", shortened).status().code(),
            StatusCode::kInvalidPaginationToken);
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    std::string junk = token.substr(0, rng() % (token.size() + 1));
    for (int k = rng() % 4; k > 0; --k) junk += static_cast<char>(rng() % 256);
    auto r = DecodePageToken("f", "staff", junk);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidPaginationToken) << junk;
    }
  }
  std::string tilde = token;
  tilde.append("~~");
  const std::vector<std::string> junks = {"", "f.", "f.zzzzzzzz.~", std::string(256, 'f'), tilde,
                                          "f.00000000.===="};
  for (const std::string& junk : junks) {
    EXPECT_EQ(DecodePageToken("f", "staff", junk).status().code(),
              StatusCode::kInvalidPaginationToken)
        << junk;
  }
}

}  // namespace
}  // namespace candor::protocol
