#include "collections/quality_filter.h"

#include <cmath>

namespace candor {

QualityBar BarFor(QualityFilter filter) {
  // Box sizes: the embedding chip is 112 px; below ~40 px (Rekognition's own
  // documented minimum face size in a 1920x1080 image) identity detail is
  // mostly interpolated. Sharpness and brightness are Candor's 0..100 scales
  // (the LFW median sharpness reads about 57; a Gaussian blur of sigma 2
  // brings it to about 21). Pose: the 5-point alignment of a profile face
  // beyond ~45-60 degrees of yaw puts the far eye on the nose.
  switch (filter) {
    case QualityFilter::kNone:
      return {0, 0, 0, 0, 180, 180};
    case QualityFilter::kLow:
      return {50, 20, 5, 5, 75, 60};
    case QualityFilter::kAuto:
    case QualityFilter::kMedium:
      return {80, 32, 12, 10, 60, 45};
    case QualityFilter::kHigh:
      return {95, 48, 25, 20, 45, 35};
  }
  return {0, 0, 0, 0, 180, 180};
}

std::vector<std::string> QualityReasons(const Face& face, QualityFilter filter) {
  std::vector<std::string> reasons;
  if (filter == QualityFilter::kNone) return reasons;
  const QualityBar bar = BarFor(filter);
  if (face.confidence < bar.min_confidence) reasons.push_back("LOW_CONFIDENCE");
  if (std::min(face.box.width, face.box.height) < bar.min_box_px) {
    reasons.push_back("SMALL_BOUNDING_BOX");
  }
  if (face.quality.sharpness < bar.min_sharpness) reasons.push_back("LOW_SHARPNESS");
  if (face.quality.brightness < bar.min_brightness) reasons.push_back("LOW_BRIGHTNESS");
  if (std::abs(face.pose.yaw) > bar.max_yaw || std::abs(face.pose.pitch) > bar.max_pitch) {
    reasons.push_back("EXTREME_POSE");
  }
  return reasons;
}

Status FilterCompared(QualityFilter filter, CompareResult* result) {
  if (filter == QualityFilter::kNone) return Status::Ok();
  const auto join = [](const std::vector<std::string>& reasons) {
    std::string text;
    for (const std::string& r : reasons) text += (text.empty() ? "" : ", ") + r;
    return text;
  };
  if (auto reasons = QualityReasons(result->source_face, filter); !reasons.empty()) {
    return Status::InvalidArgument("the source face does not pass the QualityFilter (" +
                                   join(reasons) + ")");
  }
  std::vector<FaceMatch> matches;
  for (FaceMatch& m : result->matches) {
    if (auto reasons = QualityReasons(m.face, filter); !reasons.empty()) {
      result->filtered.push_back({std::move(m.face), std::move(reasons)});
    } else {
      matches.push_back(std::move(m));
    }
  }
  result->matches = std::move(matches);
  std::vector<Face> unmatched;
  for (Face& f : result->unmatched) {
    if (auto reasons = QualityReasons(f, filter); !reasons.empty()) {
      result->filtered.push_back({std::move(f), std::move(reasons)});
    } else {
      unmatched.push_back(std::move(f));
    }
  }
  result->unmatched = std::move(unmatched);
  return Status::Ok();
}

}  // namespace candor
