#include "detect/landmarker.h"

#include <algorithm>
#include <opencv2/dnn.hpp>

#include "image/crop.h"

namespace candor::detect {
namespace {

// Input normalisation of fr_landmark.onnx: grey / 256 (the package's
// preprocessLandmark); the output is 68 (x, y) pairs as ratios of the crop.
constexpr double kInputScale = 1.0 / 256.0;

Point Mean(std::initializer_list<Point> ps) {
  Point m;
  for (const Point& p : ps) {
    m.x += p.x;
    m.y += p.y;
  }
  m.x /= ps.size();
  m.y /= ps.size();
  return m;
}

}  // namespace

StatusOr<Landmarks68> Landmarker::PredictInRegion(const cv::Mat& grey, const cv::Rect2f& region) {
  cv::Mat crop = image::CropResize(grey, region, cv::Size(kInputSize, kInputSize));
  cv::Mat blob = cv::dnn::blobFromImage(crop, kInputScale);
  std::vector<cv::Mat> outputs;
  CANDOR_RETURN_IF_ERROR(net_.Forward(blob, &outputs));
  if (outputs.empty() || outputs[0].total() != 136) {
    return Status::Internal("landmark network returned an unexpected shape");
  }
  const float* v = outputs[0].ptr<float>();
  Landmarks68 points;
  for (int i = 0; i < 68; ++i) {
    points[i] = {region.x + v[2 * i] * region.width, region.y + v[2 * i + 1] * region.height};
  }
  return points;
}

StatusOr<Landmarks68> Landmarker::Predict(const cv::Mat& grey, const BoundingBox& box,
                                          const LandmarkerOptions& options) {
  if (grey.type() != CV_8UC1) return Status::InvalidArgument("landmarker needs an 8-bit grey image");
  CANDOR_ASSIGN_OR_RETURN(Landmarks68 points,
                          PredictInRegion(grey, image::SquareAround(box, options.crop_scale)));
  if (options.refine) {
    CANDOR_ASSIGN_OR_RETURN(points, PredictInRegion(grey, image::SquareAround(ExtentOf(points), 1.0f)));
  }
  return points;
}

FivePoints FivePointsFrom68(const Landmarks68& p) {
  FivePoints five;
  five.left_eye = Mean({p[37], p[38], p[40], p[41]});
  five.right_eye = Mean({p[43], p[44], p[46], p[47]});
  five.nose = p[30];
  five.mouth_left = Mean({p[48], p[60]});
  five.mouth_right = Mean({p[54], p[64]});
  return five;
}

BoundingBox ExtentOf(const Landmarks68& points) {
  float x1 = points[0].x, y1 = points[0].y, x2 = x1, y2 = y1;
  for (const Point& p : points) {
    x1 = std::min(x1, p.x);
    y1 = std::min(y1, p.y);
    x2 = std::max(x2, p.x);
    y2 = std::max(y2, p.y);
  }
  return {x1, y1, x2 - x1, y2 - y1};
}

}  // namespace candor::detect
