// Face attributes from the model pack's attribute networks: age, gender,
// emotions, head pose, eyes open, liveness; and from pixels and landmarks
// alone: quality (brightness, sharpness), mouth open, smile.
//
// A FaceAnalyzer owns its networks and is NOT safe for concurrent use; the
// engine keeps one per worker. Networks are loaded at Create(), so that a
// missing or corrupt file fails start-up instead of a later request.
//
// How each network's input is cut and normalised: preprocess.cc. What each
// attribute is worth, measured on labelled faces (UTKFace age MAE about 5.2
// years, gender about 90% with women of some groups at 80-85%, FER-2013
// emotion top-1 about 57%): tests/analyze_test.cc and the README.
#ifndef CANDOR_ANALYZE_FACE_ANALYZER_H_
#define CANDOR_ANALYZE_FACE_ANALYZER_H_

#include <memory>
#include <opencv2/core.hpp>
#include <vector>

#include "candor/status.h"
#include "candor/types.h"
#include "models/model_pack.h"

namespace candor::analyze {

// Everything an analyzer may look at for one face. Coordinates are pixels of
// `bgr`/`grey` (the upright image).
struct FaceRegion {
  const cv::Mat& bgr;    // CV_8UC3
  const cv::Mat& grey;   // CV_8UC1, same size
  const BoundingBox& box;          // detector box
  const Landmarks68& landmarks;    // 68 iBUG points
};

class FaceAnalyzer {
 public:
  static StatusOr<std::unique_ptr<FaceAnalyzer>> Create(const models::ModelPack& pack);
  virtual ~FaceAnalyzer() = default;

  // HSE FaceRes age (years) with a range; faceres.h says how the range is
  // set. Age and IsFemale come from one forward pass: asking for both on the
  // same face runs the network once.
  virtual StatusOr<AgeRange> Age(const FaceRegion& face) = 0;
  // HSE FaceRes gender: the value and its confidence in percent (50..100);
  // empty for a face the network judges under kGenderMinimumAge years
  // (faceres.h says why).
  virtual StatusOr<std::optional<BoolAttribute>> IsFemale(const FaceRegion& face) = 0;
  // mini-Xception's seven FER-2013 classes mapped to Rekognition's emotion
  // names, confidences in percent summing to 100, sorted highest first.
  virtual StatusOr<std::vector<Emotion>> Emotions(const FaceRegion& face) = 0;
  virtual StatusOr<Pose> HeadPose(const FaceRegion& face) = 0;
  virtual StatusOr<BoolAttribute> EyesOpen(const FaceRegion& face) = 0;
  // Probability 0..1 that the face is live (class 0 of the anti-spoofing net).
  virtual StatusOr<float> Liveness(const FaceRegion& face) = 0;

  // No network: from pixels and landmarks.
  virtual ImageQuality Quality(const FaceRegion& face) = 0;
  virtual BoolAttribute MouthOpen(const FaceRegion& face) = 0;
  // Smile from the expression network's "happy" probability (percent) and the
  // mouth's shape; see the .cc.
  virtual BoolAttribute Smile(const FaceRegion& face, float happy_percent) = 0;
};

}  // namespace candor::analyze

#endif  // CANDOR_ANALYZE_FACE_ANALYZER_H_
