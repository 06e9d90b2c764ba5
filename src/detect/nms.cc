#include "detect/nms.h"

#include <algorithm>

namespace candor {

float IoU(const BoundingBox& a, const BoundingBox& b) {
  const float ix = std::min(a.right(), b.right()) - std::max(a.left, b.left);
  const float iy = std::min(a.bottom(), b.bottom()) - std::max(a.top, b.top);
  if (ix <= 0 || iy <= 0) return 0.f;
  const float inter = ix * iy;
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

namespace detect {

static float IntersectionOverOwnArea(const BoundingBox& own, const BoundingBox& other) {
  const float ix = std::min(own.right(), other.right()) - std::max(own.left, other.left);
  const float iy = std::min(own.bottom(), other.bottom()) - std::max(own.top, other.top);
  if (ix <= 0 || iy <= 0 || own.area() <= 0) return 0.f;
  return ix * iy / own.area();
}

std::vector<ScoredBox> NonMaxSuppression(std::vector<ScoredBox> boxes, float iou_threshold,
                                         float containment_threshold) {
  std::stable_sort(boxes.begin(), boxes.end(),
                   [](const ScoredBox& a, const ScoredBox& b) { return a.score > b.score; });
  std::vector<ScoredBox> kept;
  for (const ScoredBox& candidate : boxes) {
    bool suppressed = false;
    for (const ScoredBox& k : kept) {
      if (IoU(candidate.box, k.box) > iou_threshold ||
          IntersectionOverOwnArea(candidate.box, k.box) > containment_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(candidate);
  }
  return kept;
}

std::vector<ScoredBox> SuppressContained(std::vector<ScoredBox> boxes, float area_ratio,
                                         float containment) {
  std::vector<ScoredBox> kept;
  for (const ScoredBox& candidate : boxes) {
    bool inside = false;
    for (const ScoredBox& other : boxes) {
      if (other.box.area() >= area_ratio * candidate.box.area() &&
          IntersectionOverOwnArea(candidate.box, other.box) > containment) {
        inside = true;
        break;
      }
    }
    if (!inside) kept.push_back(candidate);
  }
  return kept;
}

}  // namespace detect
}  // namespace candor
