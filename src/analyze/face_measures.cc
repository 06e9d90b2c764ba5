#include "analyze/face_measures.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "image/crop.h"

namespace candor::analyze {
namespace {

// Sharpness is measured at one fixed face size so that it does not depend on
// the image's resolution: 112x112 is the recognition chip's size.
constexpr int kSharpnessSide = 112;
// Laplacian variance (grey levels squared, 3x3 aperture at 112x112) at which
// sharpness reads 50; sharpness = 100 * (1 - 2^(-variance / k)), which
// saturates towards 100 for ever crisper faces. On 193 LFW faces the
// variance's 10th/50th/90th percentiles were 64/117/193, so a typical
// press photo reads about 55 and a blurred face near 0.
constexpr double kSharpnessHalfVariance = 100.0;

// Mouth-open threshold on the inner-lip gap / mouth width ratio. With this
// landmarker a closed mouth still shows a small gap: on FER-2013 "neutral"
// faces the ratio's median was 0.042 and its 90th percentile 0.10; on
// "surprise" faces the median was 0.083 and the 75th percentile 0.155.
constexpr float kMouthOpenRatio = 0.10f;

// Percent confidence of a thresholded measure: 50 at the threshold, rising
// linearly to 100 at `saturation` away from it.
float ConfidenceFromMargin(float margin, float saturation) {
  return 50.f + 50.f * std::min(1.f, std::abs(margin) / saturation);
}

float Distance(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }

}  // namespace

double LaplacianVarianceOf(const cv::Mat& grey, const BoundingBox& box) {
  const cv::Mat face = image::CropResize(grey, image::SquareAround(box, 1.f),
                                         cv::Size(kSharpnessSide, kSharpnessSide));
  cv::Mat laplacian;
  cv::Laplacian(face, laplacian, CV_32F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(laplacian, mean, stddev);
  return stddev[0] * stddev[0];
}

ImageQuality QualityOf(const cv::Mat& grey, const BoundingBox& box) {
  ImageQuality quality;
  const cv::Rect inside = cv::Rect(cv::Point(static_cast<int>(std::floor(box.left)),
                                             static_cast<int>(std::floor(box.top))),
                                   cv::Point(static_cast<int>(std::ceil(box.right())),
                                             static_cast<int>(std::ceil(box.bottom())))) &
                          cv::Rect(0, 0, grey.cols, grey.rows);
  if (inside.area() <= 0 || grey.empty()) return quality;
  quality.brightness = static_cast<float>(cv::mean(grey(inside))[0] * 100.0 / 255.0);
  const double variance = LaplacianVarianceOf(grey, box);
  quality.sharpness =
      static_cast<float>(100.0 * (1.0 - std::exp2(-variance / kSharpnessHalfVariance)));
  return quality;
}

float MouthOpenRatio(const Landmarks68& p) {
  // Inner-lip pairs of the iBUG 68 scheme (0-based): 61-67, 62-66, 63-65;
  // mouth width between the outer corners 48 and 54.
  const float gap = (Distance(p[61], p[67]) + Distance(p[62], p[66]) + Distance(p[63], p[65])) / 3;
  const float width = Distance(p[48], p[54]);
  return width > 0 ? gap / width : 0.f;
}

BoolAttribute MouthOpenFrom(const Landmarks68& points) {
  const float margin = MouthOpenRatio(points) - kMouthOpenRatio;
  return {margin > 0, ConfidenceFromMargin(margin, kMouthOpenRatio)};
}

// The rule is the expression network's "happy" alone: it is the one signal
// we can measure (FER-2013 happy recall, tests/analyze_test.cc). A geometric
// rule (mouth corners above the lip centre, a wider mouth) was not added: no
// labelled smile data is at hand to show that it helps rather than adds
// landmark noise.
BoolAttribute SmileFrom(float happy_percent, const Landmarks68& /*points*/) {
  const bool smiling = happy_percent > 50.f;
  return {smiling, smiling ? happy_percent : 100.f - happy_percent};
}

}  // namespace candor::analyze
