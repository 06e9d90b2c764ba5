#include "analyze/faceres.h"

#include <algorithm>
#include <cmath>

namespace candor::analyze {

const std::vector<std::string>& FaceResOutputNames() {
  // The TensorFlow tensor names, which tf2onnx keeps as the ONNX output names.
  static const std::vector<std::string> kNames = {"age_pred/Softmax:0", "gender_pred/Sigmoid:0"};
  return kNames;
}

AgeRange AgeFromFaceRes(const FaceResAgeProbabilities& p, double range_mass) {
  double total = 0, weighted = 0;
  for (int i = 0; i < kFaceResAgeClasses; ++i) {
    total += p[i];
    weighted += static_cast<double>(i) * p[i];
  }
  // The softmax sums to 1 up to rounding; normalise anyway so that the
  // quantiles below are of a distribution.
  if (total <= 0) total = 1;
  AgeRange range;
  range.estimate = static_cast<float>(1 + weighted / total);
  // "Reaches" allows for the rounding of float probabilities, so that mass
  // that sums to a quantile exactly on paper counts as reaching it.
  constexpr double kRounding = 1e-6;
  const double lower_quantile = (1 - range_mass) / 2 - kRounding;
  const double upper_quantile = (1 + range_mass) / 2 - kRounding;
  int low = kFaceResAgeClasses, high = kFaceResAgeClasses;
  double cumulative = 0;
  for (int i = 0; i < kFaceResAgeClasses; ++i) {
    cumulative += p[i] / total;
    if (low == kFaceResAgeClasses && cumulative >= lower_quantile) low = i + 1;
    if (cumulative >= upper_quantile) {
      high = i + 1;
      break;
    }
  }
  const int rounded = static_cast<int>(std::lround(range.estimate));
  range.low = std::min(low, rounded);
  range.high = std::max({high, rounded, range.low + 1});
  return range;
}

std::optional<BoolAttribute> FemaleFromFaceRes(const FaceResAgeProbabilities& age_probabilities,
                                               float male_probability) {
  if (AgeFromFaceRes(age_probabilities, 0.5).estimate < kGenderMinimumAge) return std::nullopt;
  const float male = std::clamp(male_probability, 0.f, 1.f);
  const float cut = kFaceResMaleThreshold;
  if (male < cut) return BoolAttribute{true, 50.f + 50.f * (cut - male) / cut};
  return BoolAttribute{false, 50.f + 50.f * (male - cut) / (1.f - cut)};
}

}  // namespace candor::analyze
