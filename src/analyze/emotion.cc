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

std::vector<Emotion> EmotionsFromProbabilities(const ExpressionProbabilities& probabilities) {
  ExpressionProbabilities p;
  float sum = 0;
  for (int i = 0; i < kExpressionClasses; ++i) {
    p[i] = std::isfinite(probabilities[i]) ? std::max(0.f, probabilities[i]) : 0.f;
    sum += p[i];
  }
  std::vector<Emotion> emotions;
  emotions.reserve(kExpressionClasses);
  for (int i = 0; i < kExpressionClasses; ++i) {
    // A network that returned nothing usable says nothing: equal shares.
    const float share = sum > 0 ? p[i] / sum : 1.f / kExpressionClasses;
    emotions.push_back({kExpressionToEmotion[i], 100.f * share});
  }
  std::stable_sort(emotions.begin(), emotions.end(),
                   [](const Emotion& a, const Emotion& b) { return a.confidence > b.confidence; });
  return emotions;
}

}  // namespace candor::analyze
