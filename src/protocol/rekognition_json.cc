#include "protocol/rekognition_json.h"

#include <initializer_list>
#include <utility>

#include "analyze/faceres.h"

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

std::string FaceModelNumber(std::string_view face_model_name) {
  // A new embedding network adds a line with the next number
  // (tests/rekognition_json_test.cc checks the shipped manifest's is here).
  static constexpr std::pair<std::string_view, std::string_view> kNumbers[] = {
      {"candor-faceplugin-0.0.1-mobilefacenet512-v1", "1.0"},
  };
  for (const auto& [name, number] : kNumbers) {
    if (name == face_model_name) return std::string(number);
  }
  return "0";
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
  // Each attribute only when asked for (a face may carry more).
  const auto asked = [&](AttributeSet part) { return Includes(options.attributes, part); };
  const FaceAttributes& a = face.attributes;
  if (a.age_range && asked(AttributeSet::kAgeRange)) {
    d["AgeRange"] = {{"Low", a.age_range->low}, {"High", a.age_range->high}};
  }
  if (a.smile && asked(AttributeSet::kSmile)) d["Smile"] = BoolJson(*a.smile);
  if (a.gender && asked(AttributeSet::kGender)) {
    d["Gender"] = {{"Value", *a.gender == Gender::kFemale ? "Female" : "Male"},
                   {"Confidence", a.gender_confidence}};
  }
  if (a.eyes_open && asked(AttributeSet::kEyesOpen)) d["EyesOpen"] = BoolJson(*a.eyes_open);
  if (a.mouth_open && asked(AttributeSet::kMouthOpen)) d["MouthOpen"] = BoolJson(*a.mouth_open);
  if (!a.emotions.empty() && asked(AttributeSet::kEmotions)) {
    json emotions = json::array();
    for (const Emotion& e : a.emotions) {
      emotions.push_back({{"Type", EmotionName(e.type)}, {"Confidence", e.confidence}});
    }
    d["Emotions"] = emotions;
  }
  if (a.liveness_score && asked(AttributeSet::kLiveness)) {
    d["CandorLiveness"] = {{"Score", *a.liveness_score * 100.f}};
  }
  if (a.age_range && asked(AttributeSet::kAgeRange)) d["CandorAgeEstimate"] = a.age_range->estimate;
  if (a.gender_withheld && asked(AttributeSet::kGender)) {
    d["CandorGenderWithheld"] = analyze::kGenderWithheldReason;
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
  // OrientationCorrection is left out, as Rekognition's model says it is
  // (always null): boxes are of the image after its EXIF rotation.
  return {{"FaceDetails", faces}};
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
            {"UnmatchedFaces", unmatched}};
  if (!result.filtered.empty()) {
    json filtered = json::array();
    for (const FilteredFace& f : result.filtered) {
      filtered.push_back({{"Face", ComparedFace(f.face, result.target_image)},
                          {"Reasons", f.reasons}});
    }
    j["CandorFilteredFaces"] = std::move(filtered);
  }
  if (!result.calibration_version.empty()) {
    j["CandorCalibrationVersion"] = result.calibration_version;
  }
  return j;
}

json ErrorJson(const Status& status) {
  return {{"__type", ErrorTypeName(status.code())}, {"Message", status.message()}};
}

}  // namespace candor::protocol
