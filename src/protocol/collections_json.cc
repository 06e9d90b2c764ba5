#include "protocol/collections_json.h"

#include <optional>
#include <string>

namespace candor::protocol {
namespace {

using nlohmann::json;

json Ratios(const BoundingBox& b) {
  return {{"Width", b.width}, {"Height", b.height}, {"Left", b.left}, {"Top", b.top}};
}

json Matches(const SearchFacesResult& r) {
  json matches = json::array();
  for (const SearchMatch& m : r.matches) {
    matches.push_back({{"Similarity", m.similarity},
                       {"Face", StoredFaceJson(m.face)},
                       {"CandorFalseMatchRate", m.false_match_rate}});
  }
  return matches;
}

json UserMatches(const SearchUsersResult& r) {
  json matches = json::array();
  for (const UserMatch& m : r.user_matches) {
    matches.push_back({{"Similarity", m.similarity},
                       {"User", {{"UserId", m.user_id}, {"UserStatus", UserStatusName(m.user_status)}}},
                       {"CandorFalseMatchRate", m.false_match_rate},
                       {"CandorBestFaceId", m.best_face_id}});
  }
  return matches;
}

// What a Similarity means here: the calibration that made it, and the
// false-match rate at the threshold measured on the collection's gallery.
void CalibrationFields(const std::string& calibration_version,
                       const std::optional<double>& collection_false_match_rate, json& j) {
  if (!calibration_version.empty()) j["CandorCalibrationVersion"] = calibration_version;
  if (collection_false_match_rate) {
    j["CandorCollectionFalseMatchRate"] = *collection_false_match_rate;
  }
}

// FaceModelVersion as Rekognition's model has it (a number), and the
// embedding network's name beside it.
json FaceModelFields(const std::string& name, json j) {
  j["FaceModelVersion"] = FaceModelNumber(name);
  j["CandorFaceModel"] = name;
  return j;
}

template <typename SearchResult>
json CandorSearchFields(const SearchResult& r, json j) {
  j = FaceModelFields(r.face_model_version, std::move(j));
  j["CandorFacesSearched"] = r.faces_searched;
  j["CandorExpectedFalseMatches"] = r.expected_false_matches;
  CalibrationFields(r.calibration_version, r.collection_false_match_rate, j);
  return j;
}

}  // namespace

json EmptyResponse() { return json::object(); }

json ListUsersResponse(const UserListPage& page) {
  json users = json::array();
  for (const UserSummary& u : page.users) {
    users.push_back({{"UserId", u.user_id},
                     {"UserStatus", UserStatusName(u.status)},
                     {"CandorFaceCount", u.face_count}});
  }
  json j = {{"Users", users}};
  if (!page.next_token.empty()) j["NextToken"] = page.next_token;
  return j;
}

json AssociateFacesResponse(const AssociateFacesResult& r) {
  json associated = json::array();
  for (const std::string& f : r.associated_faces) associated.push_back({{"FaceId", f}});
  json unsuccessful = json::array();
  for (const auto& u : r.unsuccessful) {
    json entry = {{"FaceId", u.face_id}, {"UserId", u.user_id}, {"Reasons", u.reasons}};
    if (u.confidence) entry["Confidence"] = *u.confidence;
    unsuccessful.push_back(std::move(entry));
  }
  return {{"AssociatedFaces", associated},
          {"UnsuccessfulFaceAssociations", unsuccessful},
          {"UserStatus", UserStatusName(r.user_status)}};
}

json DisassociateFacesResponse(const DisassociateFacesResult& r) {
  json disassociated = json::array();
  for (const std::string& f : r.disassociated_faces) disassociated.push_back({{"FaceId", f}});
  json unsuccessful = json::array();
  for (const auto& u : r.unsuccessful) {
    unsuccessful.push_back({{"FaceId", u.face_id}, {"UserId", u.user_id}, {"Reasons", u.reasons}});
  }
  return {{"DisassociatedFaces", disassociated},
          {"UnsuccessfulFaceDisassociations", unsuccessful},
          {"UserStatus", UserStatusName(r.user_status)}};
}

json SearchUsersResponse(const SearchUsersResult& r) {
  json j = {{"UserMatches", UserMatches(r)}};
  if (!r.searched_face_id.empty()) j["SearchedFace"] = {{"FaceId", r.searched_face_id}};
  if (!r.searched_user_id.empty()) j["SearchedUser"] = {{"UserId", r.searched_user_id}};
  return CandorSearchFields(r, std::move(j));
}

json SearchUsersByImageResponse(const SearchUsersResult& r) {
  const JsonOptions options;  // DEFAULT attributes, as Rekognition returns here
  json j = {{"UserMatches", UserMatches(r)}};
  if (r.searched_face) {
    j["SearchedFace"] = {{"FaceDetail", FaceDetail(*r.searched_face, r.image, options)}};
  }
  json unsearched = json::array();
  for (const UnindexedFace& u : r.unsearched_faces) {
    // Rekognition's UnsearchedFace spells the member "FaceDetails".
    unsearched.push_back(
        {{"FaceDetails", FaceDetail(u.detail, r.image, options)}, {"Reasons", u.reasons}});
  }
  j["UnsearchedFaces"] = unsearched;
  return CandorSearchFields(r, std::move(j));
}

json StoredFaceJson(const StoredFace& f) {
  json j = {{"FaceId", f.face_id},
            {"BoundingBox", Ratios(f.box)},
            {"ImageId", f.image_id},
            {"Confidence", f.confidence},
            {"IndexFacesModelVersion", FaceModelNumber(f.face_model_version)}};
  if (!f.external_image_id.empty()) j["ExternalImageId"] = f.external_image_id;
  if (!f.user_id.empty()) j["UserId"] = f.user_id;
  return j;
}

json CreateCollectionResponse(const CollectionDescription& d) {
  return FaceModelFields(d.face_model_version,
                         {{"StatusCode", 200}, {"CollectionArn", d.collection_arn}});
}

json DescribeCollectionResponse(const CollectionDescription& d) {
  json j = FaceModelFields(d.face_model_version,
                           {{"FaceCount", d.face_count},
                            {"UserCount", d.user_count},
                            {"CollectionARN", d.collection_arn},
                            // Rekognition sends timestamps as epoch seconds.
                            {"CreationTimestamp", static_cast<double>(d.created_ms) / 1000.0}});
  if (!d.calibration_version.empty()) j["CandorCalibrationVersion"] = d.calibration_version;
  if (!d.false_match_rates.empty()) {
    json rates = json::array();
    for (const CollectionFalseMatchRate& r : d.false_match_rates) {
      json entry = {{"Similarity", r.similarity},
                    {"FalseMatchRate", r.false_match_rate},
                    {"CollectionPairs", r.collection_pairs}};
      if (r.collection_false_match_rate) {
        entry["CollectionFalseMatchRate"] = *r.collection_false_match_rate;
      }
      rates.push_back(std::move(entry));
    }
    j["CandorFalseMatchRates"] = std::move(rates);
  }
  return j;
}

json ListCollectionsResponse(const CollectionListPage& page) {
  json numbers = json::array();
  for (const std::string& name : page.face_model_versions) numbers.push_back(FaceModelNumber(name));
  json j = {{"CollectionIds", page.collection_ids},
            {"FaceModelVersions", numbers},
            {"CandorFaceModels", page.face_model_versions}};
  if (!page.next_token.empty()) j["NextToken"] = page.next_token;
  return j;
}

json IndexFacesResponse(const IndexFacesResult& r, AttributeSet attributes) {
  JsonOptions options;
  options.attributes = attributes;
  json records = json::array();
  for (const IndexedFace& f : r.face_records) {
    records.push_back({{"Face", StoredFaceJson(f.face)}, {"FaceDetail", FaceDetail(f.detail, r.image, options)}});
  }
  json unindexed = json::array();
  for (const UnindexedFace& f : r.unindexed_faces) {
    unindexed.push_back({{"Reasons", f.reasons}, {"FaceDetail", FaceDetail(f.detail, r.image, options)}});
  }
  return FaceModelFields(r.face_model_version,
                         {{"FaceRecords", records}, {"UnindexedFaces", unindexed}});
}

json ListFacesResponse(const FaceListPage& page) {
  json faces = json::array();
  for (const StoredFace& f : page.faces) faces.push_back(StoredFaceJson(f));
  json j = FaceModelFields(page.face_model_version, {{"Faces", faces}});
  if (!page.next_token.empty()) j["NextToken"] = page.next_token;
  return j;
}

json DeleteFacesResponse(const DeleteFacesResult& r) {
  json unsuccessful = json::array();
  for (const auto& u : r.unsuccessful) {
    json entry = {{"FaceId", u.face_id}, {"Reasons", json::array({u.reason})}};
    if (!u.user_id.empty()) entry["UserId"] = u.user_id;
    unsuccessful.push_back(std::move(entry));
  }
  return {{"DeletedFaces", r.deleted_faces}, {"UnsuccessfulFaceDeletions", unsuccessful}};
}

json SearchFacesByImageResponse(const SearchFacesResult& r) {
  return CandorSearchFields(r, {{"SearchedFaceBoundingBox", Ratios(r.searched_face_box)},
                                {"SearchedFaceConfidence", r.searched_face_confidence},
                                {"FaceMatches", Matches(r)}});
}

json SearchFacesResponse(const SearchFacesResult& r) {
  return CandorSearchFields(r, {{"SearchedFaceId", r.searched_face_id},
                                {"FaceMatches", Matches(r)}});
}

}  // namespace candor::protocol
