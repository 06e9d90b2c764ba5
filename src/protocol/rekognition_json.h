// Engine results in Amazon Rekognition's JSON shapes (DetectFaces,
// CompareFaces). Boxes and landmarks become ratios of the image size here and
// nowhere else. Candor's additions sit under keys starting with "Candor" so
// that AWS SDKs, which ignore unknown members, are not confused.
//
// Thread safety: pure functions.
#ifndef CANDOR_PROTOCOL_REKOGNITION_JSON_H_
#define CANDOR_PROTOCOL_REKOGNITION_JSON_H_

#include <nlohmann/json.hpp>
#include <string_view>

#include "candor/engine.h"

namespace candor::protocol {

struct JsonOptions {
  AttributeSet attributes = AttributeSet::kDefault;
  bool include_landmarks68 = false;  // CandorLandmarks68: all 68 points
};

nlohmann::json DetectFacesResponse(const DetectResult& result, const JsonOptions& options);
nlohmann::json CompareFacesResponse(const CompareResult& result);
// FaceDetail of one face.
nlohmann::json FaceDetail(const Face& face, const ImageInfo& image, const JsonOptions& options);
// Rekognition's ComparedFace: box, confidence, landmarks, pose, quality.
nlohmann::json ComparedFace(const Face& face, const ImageInfo& image);
nlohmann::json BoundingBoxJson(const BoundingBox& box, const ImageInfo& image);
// Rekognition's named landmarks derived from the 68 points (28 of its 30
// types; leftPupil and rightPupil are not located by the 68 points).
nlohmann::json LandmarksJson(const Face& face, const ImageInfo& image);
std::string_view EmotionName(EmotionType t);
// Rekognition's FaceModelVersion is a number ("7.0"; pattern [0-9.]+) that
// client code compares as one; Candor's stored faces carry the embedding
// network's name. The number of each network Candor has shipped; "0" for a
// name Candor does not know (the name itself goes in CandorFaceModel).
std::string FaceModelNumber(std::string_view face_model_name);
// {"__type": ..., "Message": ...}
nlohmann::json ErrorJson(const Status& status);

}  // namespace candor::protocol

#endif  // CANDOR_PROTOCOL_REKOGNITION_JSON_H_
