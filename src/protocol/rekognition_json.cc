#include "protocol/rekognition_json.h"

#include <initializer_list>

namespace candor::protocol {
namespace {

using nlohmann::json;

// Rekognition's landmark types and the iBUG-68 points (0-based) each is the
// mean of. "Left" is the image's left, as in Rekognition's responses
// (eyeLeft has the smaller X of a frontal face).
struct LandmarkSpec {
  const char* type;
  std::initializer_list<int> points;
};
const LandmarkSpec kLandmarkSpecs[] = {
    {"eyeLeft", {36, 37, 38, 39, 40, 41}},
    {"eyeRight", {42, 43, 44, 45, 46, 47}},
    {"nose", {30}},
    {"mouthLeft", {48}},
    {"mouthRight", {54}},
    {"leftEyeBrowLeft", {17}},
    {"leftEyeBrowUp", {19}},
    {"leftEyeBrowRight", {21}},
    {"rightEyeBrowLeft", {22}},
    {"rightEyeBrowUp", {24}},
    {"rightEyeBrowRight", {26}},
    {"leftEyeLeft", {36}},
    {"leftEyeRight", {39}},
    {"leftEyeUp", {37, 38}},
    {"leftEyeDown", {40, 41}},
    {"rightEyeLeft", {42}},
    {"rightEyeRight", {45}},
    {"rightEyeUp", {43, 44}},
    {"rightEyeDown", {46, 47}},
    {"noseLeft", {31}},
    {"noseRight", {35}},
    {"mouthUp", {51}},
    {"mouthDown", {57}},
    {"upperJawlineLeft", {1}},
    {"midJawlineLeft", {4}},
    {"chinBottom", {8}},
    {"midJawlineRight", {12}},
    {"upperJawlineRight", {15}},
};

json BoolJson(const BoolAttribute& a) { return {{"Value", a.value}, {"Confidence", a.confidence}}; }

}  // namespace

std::string_view OrientationName(Orientation o) {
  switch (o) {
    case Orientation::kNone:
    case Orientation::kRotate0:
      return "ROTATE_0";
    case Orientation::kRotate90:
      return "ROTATE_90";
    case Orientation::kRotate180:
      return "ROTATE_180";
    case Orientation::kRotate270:
      return "ROTATE_270";
  }
  return "ROTATE_0";
}

std::string_view EmotionName(EmotionType t) {
  switch (t) {
    case EmotionType::kAngry:
      return "ANGRY";
    case EmotionType::kDisgusted:
      return "DISGUSTED";
    case EmotionType::kFear:
      return "FEAR";
    case EmotionType::kHappy:
      return "HAPPY";
    case EmotionType::kSad:
      return "SAD";
    case EmotionType::kSurprised:
      return "SURPRISED";
    case EmotionType::kCalm:
      return "CALM";
  }
  return "CALM";
}

json BoundingBoxJson(const BoundingBox& box, const ImageInfo& image) {
  const float w = static_cast<float>(image.width), h = static_cast<float>(image.height);
  return {{"Width", box.width / w}, {"Height", box.height / h}, {"Left", box.left / w},
          {"Top", box.top / h}};
}

json LandmarksJson(const Face& face, const ImageInfo& image) {
  json out = json::array();
  for (const LandmarkSpec& spec : kLandmarkSpecs) {
    float x = 0, y = 0;
    for (int i : spec.points) {
      x += face.landmarks68[i].x;
      y += face.landmarks68[i].y;
    }
    const float n = static_cast<float>(spec.points.size());
    out.push_back({{"Type", spec.type},
                   {"X", x / n / image.width},
                   {"Y", y / n / image.height}});
  }
  return out;
}

static json PoseJson(const Pose& p) {
  return {{"Roll", p.roll}, {"Yaw", p.yaw}, {"Pitch", p.pitch}};
}

static json QualityJson(const ImageQuality& q) {
  return {{"Brightness", q.brightness}, {"Sharpness", q.sharpness}};
}

json ComparedFace(const Face& face, const ImageInfo& image) {
  return {{"BoundingBox", BoundingBoxJson(face.box, image)},
          {"Confidence", face.confidence},
          {"Landmarks", LandmarksJson(face, image)},
          {"Pose", PoseJson(face.pose)},
          {"Quality", QualityJson(face.quality)}};
}

json FaceDetail(const Face& face, const ImageInfo& image, const JsonOptions& options) {
  json d = ComparedFace(face, image);
  if (options.attributes == AttributeSet::kAll) {
    const FaceAttributes& a = face.attributes;
    if (a.age_range) d["AgeRange"] = {{"Low", a.age_range->low}, {"High", a.age_range->high}};
    if (a.smile) d["Smile"] = BoolJson(*a.smile);
    if (a.gender) {
      d["Gender"] = {{"Value", *a.gender == Gender::kFemale ? "Female" : "Male"},
                     {"Confidence", a.gender_confidence}};
    }
    if (a.eyes_open) d["EyesOpen"] = BoolJson(*a.eyes_open);
    if (a.mouth_open) d["MouthOpen"] = BoolJson(*a.mouth_open);
    if (!a.emotions.empty()) {
      json emotions = json::array();
      for (const Emotion& e : a.emotions) {
        emotions.push_back({{"Type", EmotionName(e.type)}, {"Confidence", e.confidence}});
      }
      d["Emotions"] = emotions;
    }
    if (a.liveness_score) d["CandorLiveness"] = {{"Score", *a.liveness_score * 100.f}};
    if (a.age_range) d["CandorAgeEstimate"] = a.age_range->estimate;
  }
  if (options.include_landmarks68) {
    json points = json::array();
    for (const Point& p : face.landmarks68) {
      points.push_back({{"X", p.x / image.width}, {"Y", p.y / image.height}});
    }
    d["CandorLandmarks68"] = points;
  }
  return d;
}

json DetectFacesResponse(const DetectResult& result, const JsonOptions& options) {
  json faces = json::array();
  for (const Face& f : result.faces) faces.push_back(FaceDetail(f, result.image, options));
  return {{"FaceDetails", faces},
          {"OrientationCorrection", OrientationName(result.image.orientation_correction)}};
}

json CompareFacesResponse(const CompareResult& result) {
  json matches = json::array();
  for (const FaceMatch& m : result.matches) {
    matches.push_back({{"Similarity", m.similarity},
                       {"Face", ComparedFace(m.face, result.target_image)},
                       {"CandorFalseMatchRate", m.false_match_rate}});
  }
  json unmatched = json::array();
  for (const Face& f : result.unmatched) unmatched.push_back(ComparedFace(f, result.target_image));
  json j = {{"SourceImageFace",
             {{"BoundingBox", BoundingBoxJson(result.source_face.box, result.source_image)},
              {"Confidence", result.source_face.confidence}}},
            {"FaceMatches", matches},
            {"UnmatchedFaces", unmatched},
            {"SourceImageOrientationCorrection",
             OrientationName(result.source_image.orientation_correction)},
            {"TargetImageOrientationCorrection",
             OrientationName(result.target_image.orientation_correction)}};
  if (!result.calibration_version.empty()) {
    j["CandorCalibrationVersion"] = result.calibration_version;
  }
  return j;
}

json ErrorJson(const Status& status) {
  return {{"__type", ErrorTypeName(status.code())}, {"Message", status.message()}};
}

}  // namespace candor::protocol
