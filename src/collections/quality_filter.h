// Rekognition's QualityFilter for IndexFaces and SearchFacesByImage: which
// faces are too poor to enrol or search with, and why.
//
// Thread safety: pure functions.
#ifndef CANDOR_COLLECTIONS_QUALITY_FILTER_H_
#define CANDOR_COLLECTIONS_QUALITY_FILTER_H_

#include <string>
#include <vector>

#include "candor/collections.h"

namespace candor {

// The bar a face must clear at a filter level. Rekognition does not publish
// its bars; these are Candor's, in the units Candor reports (see the .cc for
// where each number comes from). AUTO is MEDIUM.
struct QualityBar {
  float min_confidence;   // detector percent
  float min_box_px;       // shorter side of the box, pixels
  float min_sharpness;    // Quality.Sharpness, 0..100
  float min_brightness;   // Quality.Brightness, 0..100
  float max_yaw;          // degrees, absolute
  float max_pitch;        // degrees, absolute
};
QualityBar BarFor(QualityFilter filter);

// Rekognition's reasons (LOW_CONFIDENCE, SMALL_BOUNDING_BOX, LOW_SHARPNESS,
// LOW_BRIGHTNESS, EXTREME_POSE) that `face` fails at `filter`; empty when it
// passes or the filter is NONE. `face` needs pose and quality.
std::vector<std::string> QualityReasons(const Face& face, QualityFilter filter);

// CompareFaces' QualityFilter. Rekognition: "Filtered faces aren't
// compared": target faces that fail `filter` leave FaceMatches and
// UnmatchedFaces for `result->filtered`, with their reasons. A source face
// that fails it is an InvalidParameter error naming the reasons.
Status FilterCompared(QualityFilter filter, CompareResult* result);

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_QUALITY_FILTER_H_
