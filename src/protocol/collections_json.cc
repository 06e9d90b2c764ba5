#include "protocol/collections_json.h"

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

}  // namespace

json StoredFaceJson(const StoredFace& f) {
  json j = {{"FaceId", f.face_id},
            {"BoundingBox", Ratios(f.box)},
            {"ImageId", f.image_id},
            {"Confidence", f.confidence},
            {"IndexFacesModelVersion", f.face_model_version}};
  if (!f.external_image_id.empty()) j["ExternalImageId"] = f.external_image_id;
  if (!f.user_id.empty()) j["UserId"] = f.user_id;
  return j;
}

json CreateCollectionResponse(const CollectionDescription& d) {
  return {{"StatusCode", 200}, {"CollectionArn", d.collection_arn},
          {"FaceModelVersion", d.face_model_version}};
}

json DescribeCollectionResponse(const CollectionDescription& d) {
  return {{"FaceCount", d.face_count},
          {"UserCount", d.user_count},
          {"FaceModelVersion", d.face_model_version},
          {"CollectionARN", d.collection_arn},
          // Rekognition sends timestamps as epoch seconds.
          {"CreationTimestamp", static_cast<double>(d.created_ms) / 1000.0}};
}

json ListCollectionsResponse(const CollectionListPage& page) {
  json j = {{"CollectionIds", page.collection_ids}, {"FaceModelVersions", page.face_model_versions}};
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
  return {{"FaceRecords", records},
          {"UnindexedFaces", unindexed},
          {"FaceModelVersion", r.face_model_version},
          {"OrientationCorrection", OrientationName(r.image.orientation_correction)}};
}

json ListFacesResponse(const FaceListPage& page) {
  json faces = json::array();
  for (const StoredFace& f : page.faces) faces.push_back(StoredFaceJson(f));
  json j = {{"Faces", faces}, {"FaceModelVersion", page.face_model_version}};
  if (!page.next_token.empty()) j["NextToken"] = page.next_token;
  return j;
}

json DeleteFacesResponse(const DeleteFacesResult& r) {
  json unsuccessful = json::array();
  for (const auto& u : r.unsuccessful) {
    unsuccessful.push_back({{"FaceId", u.face_id}, {"Reasons", json::array({u.reason})}});
  }
  return {{"DeletedFaces", r.deleted_faces}, {"UnsuccessfulFaceDeletions", unsuccessful}};
}

json SearchFacesByImageResponse(const SearchFacesResult& r) {
  return {{"SearchedFaceBoundingBox", Ratios(r.searched_face_box)},
          {"SearchedFaceConfidence", r.searched_face_confidence},
          {"FaceMatches", Matches(r)},
          {"FaceModelVersion", r.face_model_version},
          {"CandorFacesSearched", r.faces_searched},
          {"CandorExpectedFalseMatches", r.expected_false_matches}};
}

json SearchFacesResponse(const SearchFacesResult& r) {
  return {{"SearchedFaceId", r.searched_face_id},
          {"FaceMatches", Matches(r)},
          {"FaceModelVersion", r.face_model_version},
          {"CandorFacesSearched", r.faces_searched},
          {"CandorExpectedFalseMatches", r.expected_false_matches}};
}

}  // namespace candor::protocol
