// Attributes without a network: image quality from pixels, mouth open and
// the smile rule from landmarks.
//
// Thread safety: pure functions.
#ifndef CANDOR_ANALYZE_FACE_MEASURES_H_
#define CANDOR_ANALYZE_FACE_MEASURES_H_

#include <opencv2/core.hpp>

#include "candor/types.h"

namespace candor::analyze {

// Brightness: mean luminance of the box (clipped to the image) as percent of
// white. Sharpness: variance of the Laplacian of the face resized to a fixed
// size, mapped to 0..100 by a saturating function (see the .cc).
ImageQuality QualityOf(const cv::Mat& grey, const BoundingBox& box);

// The raw sharpness measure before mapping (Laplacian variance, grey levels
// squared), for tests and calibration.
double LaplacianVarianceOf(const cv::Mat& grey, const BoundingBox& box);

// Inner-lip gap over mouth width (see the .cc for the points).
float MouthOpenRatio(const Landmarks68& points);
BoolAttribute MouthOpenFrom(const Landmarks68& points);

// The smile rule, from the expression network's happy percent and the mouth.
BoolAttribute SmileFrom(float happy_percent, const Landmarks68& points);

}  // namespace candor::analyze

#endif  // CANDOR_ANALYZE_FACE_MEASURES_H_
