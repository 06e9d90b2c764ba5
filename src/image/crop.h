// Crops that may reach past the image border, resized in one warp.
//
// Thread safety: pure functions.
#ifndef CANDOR_IMAGE_CROP_H_
#define CANDOR_IMAGE_CROP_H_

#include <opencv2/core.hpp>

#include "candor/types.h"

namespace candor::image {

// Samples `region` (pixels of `src`, may extend past its border) into an image
// of `size`, bilinear; outside the image is filled by replicating the border,
// so that a face at the edge keeps its position in the crop instead of being
// shifted, as clamping the rectangle would.
cv::Mat CropResize(const cv::Mat& src, const cv::Rect2f& region, cv::Size size);

// The square of side max(w, h) * scale centred on the box.
cv::Rect2f SquareAround(const BoundingBox& box, float scale);

// The box scaled by `scale` about its centre (not made square).
cv::Rect2f ScaleAbout(const BoundingBox& box, float scale);

}  // namespace candor::image

#endif  // CANDOR_IMAGE_CROP_H_
