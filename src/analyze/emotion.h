// The expression network's classes and their Rekognition emotion names.
//
// Thread safety: pure functions.
#ifndef CANDOR_ANALYZE_EMOTION_H_
#define CANDOR_ANALYZE_EMOTION_H_

#include <array>
#include <vector>

#include "candor/types.h"

namespace candor::analyze {

// fr_expression.onnx's seven outputs are the FER-2013 classes in FER-2013's
// label order (0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise,
// 6 neutral; Goodfellow et al. 2013, "Challenges in Representation Learning").
inline constexpr int kExpressionClasses = 7;
inline constexpr int kHappyClass = 3;

// The Rekognition name of each class. FER-2013 has no CALM class and
// Rekognition has no NEUTRAL: "neutral" is reported as CALM, the closest
// Rekognition type (an expressionless face); CONFUSED is never reported.
inline constexpr std::array<EmotionType, kExpressionClasses> kExpressionToEmotion = {
    EmotionType::kAngry, EmotionType::kDisgusted, EmotionType::kFear, EmotionType::kHappy,
    EmotionType::kSad,   EmotionType::kSurprised, EmotionType::kCalm};

// Softmax of the seven logits as percent (summing to 100), sorted highest
// first.
std::vector<Emotion> EmotionsFromLogits(const std::array<float, kExpressionClasses>& logits);

// Stable softmax over n values, in place.
void SoftmaxInPlace(float* values, int n);

}  // namespace candor::analyze

#endif  // CANDOR_ANALYZE_EMOTION_H_
