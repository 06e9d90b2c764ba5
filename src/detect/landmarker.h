// 68-point landmarks (iBUG 300-W order) from fr_landmark.onnx, and the five
// points the aligner needs.
//
// A Landmarker owns its network and is NOT safe for concurrent use.
#ifndef CANDOR_DETECT_LANDMARKER_H_
#define CANDOR_DETECT_LANDMARKER_H_

#include <opencv2/core.hpp>

#include "candor/status.h"
#include "candor/types.h"
#include "models/dnn_net.h"

namespace candor::detect {

struct LandmarkerOptions {
  // The crop the network sees: a square of side max(w, h) * crop_scale around
  // the detector box.
  float crop_scale = 1.0f;
  // Run a second pass on the square around the first pass's points; the
  // detector's boxes sit high and tight on the face, the points' own
  // extent is a steadier frame.
  bool refine = false;
};

class Landmarker {
 public:
  static constexpr int kInputSize = 64;

  explicit Landmarker(models::DnnNet net) : net_(std::move(net)) {}

  StatusOr<Landmarks68> Predict(const cv::Mat& grey, const BoundingBox& box,
                                const LandmarkerOptions& options);

 private:
  StatusOr<Landmarks68> PredictInRegion(const cv::Mat& grey, const cv::Rect2f& region);
  models::DnnNet net_;
};

// The five alignment points from the 68 (DESIGN.md): eye centres as the mean
// of the four eyelid points 37,38,40,41 and 43,44,46,47 (1-based iBUG numbers
// 38,39,41,42 / 44,45,47,48), nose tip 30, mouth corners as the mean of outer
// and inner corners (48+60)/2 and (54+64)/2.
FivePoints FivePointsFrom68(const Landmarks68& points);

// The box the 68 points span.
BoundingBox ExtentOf(const Landmarks68& points);

}  // namespace candor::detect

#endif  // CANDOR_DETECT_LANDMARKER_H_
