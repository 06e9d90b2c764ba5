#include "analyze/emotion.h"

#include <algorithm>
#include <cmath>

namespace candor::analyze {

void SoftmaxInPlace(float* values, int n) {
  if (n <= 0) return;
  const float max_value = *std::max_element(values, values + n);
  float sum = 0;
  for (int i = 0; i < n; ++i) {
    values[i] = std::exp(values[i] - max_value);
    sum += values[i];
  }
  for (int i = 0; i < n; ++i) values[i] /= sum;
}

std::vector<Emotion> EmotionsFromLogits(const std::array<float, kExpressionClasses>& logits) {
  std::array<float, kExpressionClasses> p = logits;
  SoftmaxInPlace(p.data(), kExpressionClasses);
  std::vector<Emotion> emotions;
  emotions.reserve(kExpressionClasses);
  for (int i = 0; i < kExpressionClasses; ++i) {
    emotions.push_back({kExpressionToEmotion[i], 100.f * p[i]});
  }
  std::stable_sort(emotions.begin(), emotions.end(),
                   [](const Emotion& a, const Emotion& b) { return a.confidence > b.confidence; });
  return emotions;
}

}  // namespace candor::analyze
