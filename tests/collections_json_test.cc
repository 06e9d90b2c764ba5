// The JSON shapes of Candor's members beside a Similarity
// (protocol/collections_json.h, protocol/rekognition_json.h): the
// calibration's version on every response that carries a Similarity, and
// the false-match rates measured on a collection's own gallery on
// DescribeCollection and on every search. No model needed: the results are
// made by hand.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "protocol/collections_json.h"
#include "protocol/rekognition_json.h"

namespace candor {
namespace {

using nlohmann::json;

constexpr char kVersion[] = "2026-12-07-3f9c0a12d4e5b6c7";

std::set<std::string> Keys(const json& j) {
  std::set<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.insert(key);
  return keys;
}

TEST(CollectionsJsonTest, DescribeCollectionCarriesClaimedAndMeasuredRates) {
  CollectionDescription d;
  d.collection_id = "c";
  d.collection_arn = "arn:aws:rekognition:candor:000000000000:collection/c";
  d.face_model_version = "m";
  d.face_count = 3;
  d.calibration_version = kVersion;
  d.false_match_rates = {{50, 1e-2, 2.0 / 3.0, 3}, {99, 1e-5, 0.0, 3}};
  const json j = protocol::DescribeCollectionResponse(d);
  EXPECT_EQ(Keys(j), (std::set<std::string>{"FaceCount", "UserCount", "FaceModelVersion",
                                            "CandorFaceModel", "CollectionARN", "CreationTimestamp",
                                            "CandorCalibrationVersion", "CandorFalseMatchRates"}));
  EXPECT_EQ(j["CandorCalibrationVersion"], kVersion);
  ASSERT_TRUE(j["CandorFalseMatchRates"].is_array());
  ASSERT_EQ(j["CandorFalseMatchRates"].size(), 2u);
  const json& first = j["CandorFalseMatchRates"][0];
  EXPECT_EQ(Keys(first), (std::set<std::string>{"Similarity", "FalseMatchRate",
                                                "CollectionFalseMatchRate", "CollectionPairs"}));
  EXPECT_EQ(first["Similarity"], 50);
  EXPECT_DOUBLE_EQ(first["FalseMatchRate"].get<double>(), 1e-2);
  EXPECT_DOUBLE_EQ(first["CollectionFalseMatchRate"].get<double>(), 2.0 / 3.0);
  EXPECT_EQ(first["CollectionPairs"], 3);
  // A measured rate of 0 is a measurement, not an absence.
  EXPECT_EQ(j["CandorFalseMatchRates"][1]["CollectionFalseMatchRate"], 0.0);
}

TEST(CollectionsJsonTest, DescribeCollectionOfAGalleryWithoutPairs) {
  CollectionDescription d;
  d.face_count = 1;
  d.calibration_version = kVersion;
  d.false_match_rates = {{80, 1e-3, std::nullopt, 0}};
  const json j = protocol::DescribeCollectionResponse(d);
  const json& entry = j["CandorFalseMatchRates"][0];
  EXPECT_EQ(Keys(entry),
            (std::set<std::string>{"Similarity", "FalseMatchRate", "CollectionPairs"}));
  EXPECT_EQ(entry["CollectionPairs"], 0);
  // Counts only (DescribeCollection(id, false)): Rekognition's shape.
  const json plain = protocol::DescribeCollectionResponse(CollectionDescription{});
  EXPECT_FALSE(plain.contains("CandorCalibrationVersion"));
  EXPECT_FALSE(plain.contains("CandorFalseMatchRates"));
}

SearchFacesResult Searched(std::optional<double> collection_rate) {
  SearchFacesResult r;
  r.searched_face_id = "f";
  r.face_model_version = "m";
  r.faces_searched = 10;
  r.expected_false_matches = 1e-4;
  r.calibration_version = kVersion;
  r.collection_false_match_rate = collection_rate;
  SearchMatch m;
  m.face.face_id = "g";
  m.similarity = 99.5f;
  m.false_match_rate = 7e-6;
  r.matches.push_back(m);
  return r;
}

TEST(CollectionsJsonTest, SearchesSayWhatTheirSimilaritiesMean) {
  for (const json& j : {protocol::SearchFacesResponse(Searched(0.25)),
                        protocol::SearchFacesByImageResponse(Searched(0.25))}) {
    // An embedding network Candor never shipped: no number to claim.
    EXPECT_EQ(j["FaceModelVersion"], "0");
    EXPECT_EQ(j["CandorFaceModel"], "m");
    EXPECT_EQ(j["CandorCalibrationVersion"], kVersion);
    EXPECT_DOUBLE_EQ(j["CandorCollectionFalseMatchRate"].get<double>(), 0.25);
    EXPECT_DOUBLE_EQ(j["CandorExpectedFalseMatches"].get<double>(), 1e-4);
    EXPECT_EQ(j["CandorFacesSearched"], 10);
    EXPECT_DOUBLE_EQ(j["FaceMatches"][0]["Similarity"].get<double>(), 99.5);
  }
  // A gallery with no pair to measure: no measured rate, the rest as before.
  const json unmeasured = protocol::SearchFacesResponse(Searched(std::nullopt));
  EXPECT_FALSE(unmeasured.contains("CandorCollectionFalseMatchRate"));
  EXPECT_EQ(unmeasured["CandorCalibrationVersion"], kVersion);

  SearchUsersResult users;
  users.face_model_version = "m";
  users.searched_user_id = "u";
  users.calibration_version = kVersion;
  users.collection_false_match_rate = 1e-3;
  users.user_matches.push_back({"v", UserStatus::kActive, 99.2f, 9e-6, "g"});
  for (const json& j :
       {protocol::SearchUsersResponse(users), protocol::SearchUsersByImageResponse(users)}) {
    EXPECT_EQ(j["CandorCalibrationVersion"], kVersion);
    EXPECT_DOUBLE_EQ(j["CandorCollectionFalseMatchRate"].get<double>(), 1e-3);
    EXPECT_TRUE(j.contains("CandorExpectedFalseMatches"));
  }
}

TEST(CollectionsJsonTest, CompareFacesNamesItsCalibration) {
  CompareResult r;
  r.source_image = r.target_image = {100, 100, Orientation::kRotate0};
  r.source_face.box = {10, 10, 20, 20};
  r.calibration_version = kVersion;
  EXPECT_EQ(protocol::CompareFacesResponse(r)["CandorCalibrationVersion"], kVersion);
  r.calibration_version.clear();  // an engine without a calibration
  EXPECT_FALSE(protocol::CompareFacesResponse(r).contains("CandorCalibrationVersion"));
}

// Rekognition's FaceModelVersion is a number (pattern [0-9.]+) that client
// code compares as one: the shipped embedding network has one, and the name
// travels in CandorFaceModel.
TEST(CollectionsJsonTest, FaceModelVersionIsANumberForTheShippedNetwork) {
  std::ifstream in(std::string(CANDOR_SOURCE_DIR) + "/models/manifest.json");
  ASSERT_TRUE(in) << "models/manifest.json";
  const std::string shipped = json::parse(in).at("face_model_version").get<std::string>();
  const std::string number = protocol::FaceModelNumber(shipped);
  EXPECT_TRUE(std::regex_match(number, std::regex("[0-9.]+"))) << number;
  EXPECT_NE(number, "0") << "give the embedding network " << shipped << " its number";

  CollectionDescription d;
  d.face_model_version = shipped;
  for (const json& j : {protocol::CreateCollectionResponse(d),
                        protocol::DescribeCollectionResponse(d)}) {
    EXPECT_EQ(j["FaceModelVersion"], number);
    EXPECT_EQ(j["CandorFaceModel"], shipped);
  }
  CollectionListPage page;
  page.collection_ids = {"a", "b"};
  page.face_model_versions = {shipped, "retired-network"};
  const json listed = protocol::ListCollectionsResponse(page);
  EXPECT_EQ(listed["FaceModelVersions"], json::array({number, "0"}));
  EXPECT_EQ(listed["CandorFaceModels"], json::array({shipped, "retired-network"}));
  StoredFace face;
  face.face_model_version = shipped;
  EXPECT_EQ(protocol::StoredFaceJson(face)["IndexFacesModelVersion"], number);
}

// Rekognition's model: OrientationCorrection is always null (boxes are of
// the image after its EXIF rotation, as Candor's are), so it is left out
// even when a rotation was applied.
TEST(CollectionsJsonTest, NoOrientationCorrectionEvenAfterARotation) {
  DetectResult detected;
  detected.image = {100, 200, Orientation::kRotate90};
  EXPECT_FALSE(protocol::DetectFacesResponse(detected, {}).contains("OrientationCorrection"));
  CompareResult compared;
  compared.source_image = compared.target_image = {100, 200, Orientation::kRotate270};
  const json j = protocol::CompareFacesResponse(compared);
  EXPECT_FALSE(j.contains("SourceImageOrientationCorrection"));
  EXPECT_FALSE(j.contains("TargetImageOrientationCorrection"));
  IndexFacesResult indexed;
  indexed.image = {100, 200, Orientation::kRotate180};
  EXPECT_FALSE(protocol::IndexFacesResponse(indexed, AttributeSet::kDefault)
                   .contains("OrientationCorrection"));
}

}  // namespace
}  // namespace candor
