// Result types of the engine.
//
// Coordinate spaces, stated once for the whole API:
//  - Point and BoundingBox in a Face are in pixels of the *oriented* image
//    (after EXIF orientation has been applied), origin at the top-left corner,
//    x to the right, y down.
//  - The Rekognition wire format expresses the same boxes as ratios of the
//    image width and height; protocol/ converts, nothing else does.
#ifndef CANDOR_TYPES_H_
#define CANDOR_TYPES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace candor {

struct Point {
  float x = 0;
  float y = 0;
};

struct BoundingBox {
  float left = 0;
  float top = 0;
  float width = 0;
  float height = 0;

  float right() const { return left + width; }
  float bottom() const { return top + height; }
  float area() const { return width > 0 && height > 0 ? width * height : 0.f; }
};

// Intersection over union of two boxes, 0 when either is empty.
float IoU(const BoundingBox& a, const BoundingBox& b);

// Rekognition's OrientationCorrection: the rotation that was applied to the
// image (from its EXIF Orientation tag) before faces were located.
enum class Orientation { kNone, kRotate0, kRotate90, kRotate180, kRotate270 };

// 68 iBUG-300W landmarks (0-based indices as in the iBUG annotation).
using Landmarks68 = std::array<Point, 68>;

// The five points the aligner uses, in this order.
struct FivePoints {
  Point left_eye;     // the subject's right eye appears on the image's left
  Point right_eye;
  Point nose;
  Point mouth_left;
  Point mouth_right;
};

struct AgeRange {
  int low = 0;
  int high = 0;
  float estimate = 0;  // the network's point estimate, years
};

enum class Gender { kMale, kFemale };

// Rekognition's emotion types that the expression network supports. CONFUSED
// and CALM have no class in it and are never reported (CALM is mapped from
// "neutral", see analyze/emotion.cc).
enum class EmotionType { kAngry, kDisgusted, kFear, kHappy, kSad, kSurprised, kCalm };

struct Emotion {
  EmotionType type;
  float confidence = 0;  // percent, 0..100
};

struct Pose {
  float roll = 0;  // degrees
  float yaw = 0;
  float pitch = 0;
};

struct ImageQuality {
  float brightness = 0;  // 0..100
  float sharpness = 0;   // 0..100
};

// A boolean attribute with the confidence (percent) of the stated value.
struct BoolAttribute {
  bool value = false;
  float confidence = 0;
};

// Attributes computed only when asked for (DetectFaces with ALL).
struct FaceAttributes {
  std::optional<AgeRange> age_range;
  std::optional<Gender> gender;
  float gender_confidence = 0;
  // Gender was asked for but not told: the face looks too young for the
  // network (analyze/faceres.h); DetectFaces says so in CandorGenderWithheld.
  bool gender_withheld = false;
  std::vector<Emotion> emotions;  // sorted by confidence, highest first
  std::optional<BoolAttribute> smile;
  std::optional<BoolAttribute> eyes_open;
  std::optional<BoolAttribute> mouth_open;
  // Candor extension: probability (0..1) that the face is a live person and
  // not a printed or replayed photo, from a passive single-frame network.
  std::optional<float> liveness_score;
};

struct Face {
  BoundingBox box;
  float confidence = 0;  // detector score, percent 0..100
  Landmarks68 landmarks68{};
  FivePoints five{};
  Pose pose;        // always computed: it is cheap and used for quality
  ImageQuality quality;
  FaceAttributes attributes;
};

// A unit-length face embedding.
struct Embedding {
  std::vector<float> values;
  std::string model_version;
};

}  // namespace candor

#endif  // CANDOR_TYPES_H_
