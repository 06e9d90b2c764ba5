// Similarity transform of five face points onto the ArcFace 112x112 template.
//
// Thread safety: pure functions and constants.
#ifndef CANDOR_ALIGN_ALIGNER_H_
#define CANDOR_ALIGN_ALIGNER_H_

#include <array>

#include "candor/types.h"

namespace candor::align {

inline constexpr int kChipSize = 112;

// The standard ArcFace / InsightFace template for 112x112 chips
// (insightface/utils/face_align.py, arcface_dst): left eye, right eye, nose,
// left mouth corner, right mouth corner.
inline constexpr std::array<Point, 5> kArcFaceTemplate = {{
    {38.2946f, 51.6963f},
    {73.5318f, 51.5014f},
    {56.0252f, 71.7366f},
    {41.5493f, 92.3655f},
    {70.7299f, 92.2041f},
}};

// A 2x3 affine matrix, row major: [a -b tx; b a ty] for a similarity.
using Affine = std::array<double, 6>;

// The least-squares similarity transform (rotation, uniform scale,
// translation; no reflection) taking `from` onto `to` (Umeyama, 1991).
Affine EstimateSimilarity(const std::array<Point, 5>& from, const std::array<Point, 5>& to);

// The transform from image points to the 112x112 chip.
Affine AlignmentTransform(const FivePoints& five);

Point Apply(const Affine& m, Point p);

}  // namespace candor::align

#endif  // CANDOR_ALIGN_ALIGNER_H_
