// Non-maximum suppression over scored boxes.
//
// Thread safety: pure function.
#ifndef CANDOR_DETECT_NMS_H_
#define CANDOR_DETECT_NMS_H_

#include <vector>

#include "candor/types.h"

namespace candor::detect {

struct ScoredBox {
  BoundingBox box;
  float score = 0;  // 0..1
  FivePoints five{};  // the detector's own five points, where it has them
};

// Greedy NMS: visits boxes by descending score and keeps one unless it
// overlaps a kept box by IoU > `iou_threshold`, or lies mostly (more than
// `containment_threshold` of its own area) inside a kept box, which removes
// the partial face a tile border produces next to the whole one. Ties in
// score keep input order (stable), so the result is deterministic.
std::vector<ScoredBox> NonMaxSuppression(std::vector<ScoredBox> boxes, float iou_threshold,
                                         float containment_threshold = 1.01f);

// Removes every box lying mostly (more than `containment` of its own area)
// inside a box at least `area_ratio` times larger, whatever their scores: the
// parts of a face (eyes and nose, a cheek) a network finds as faces when the
// face is larger than it was trained on, beside the whole face a coarser pass
// found. Order is kept.
std::vector<ScoredBox> SuppressContained(std::vector<ScoredBox> boxes, float area_ratio,
                                         float containment);

}  // namespace candor::detect

#endif  // CANDOR_DETECT_NMS_H_
