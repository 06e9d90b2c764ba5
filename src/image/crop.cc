#include "image/crop.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace candor::image {

cv::Mat CropResize(const cv::Mat& src, const cv::Rect2f& region, cv::Size size) {
  const double sx = size.width / std::max(region.width, 1e-3f);
  const double sy = size.height / std::max(region.height, 1e-3f);
  // Maps source pixel centres to destination pixel centres.
  cv::Matx23d m(sx, 0, -region.x * sx + 0.5 * (sx - 1), 0, sy, -region.y * sy + 0.5 * (sy - 1));
  cv::Mat out;
  const int interpolation = (sx < 1 || sy < 1) ? cv::INTER_AREA : cv::INTER_LINEAR;
  if (interpolation == cv::INTER_AREA) {
    // Shrinking: warpAffine has no area filter, so take the exact sub-pixel
    // patch first (getRectSubPix replicates the border too), then average.
    cv::Mat patch;
    cv::getRectSubPix(src,
                      cv::Size(std::max(1, static_cast<int>(std::lround(region.width))),
                               std::max(1, static_cast<int>(std::lround(region.height)))),
                      cv::Point2f(region.x + region.width / 2 - 0.5f,
                                  region.y + region.height / 2 - 0.5f),
                      patch);
    cv::resize(patch, out, size, 0, 0, cv::INTER_AREA);
    return out;
  }
  cv::warpAffine(src, out, m, size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

cv::Rect2f SquareAround(const BoundingBox& box, float scale) {
  const float side = std::max(box.width, box.height) * scale;
  const float cx = box.left + box.width / 2, cy = box.top + box.height / 2;
  return {cx - side / 2, cy - side / 2, side, side};
}

cv::Rect2f ScaleAbout(const BoundingBox& box, float scale) {
  const float w = box.width * scale, h = box.height * scale;
  const float cx = box.left + box.width / 2, cy = box.top + box.height / 2;
  return {cx - w / 2, cy - h / 2, w, h};
}

}  // namespace candor::image
