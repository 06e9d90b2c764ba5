#include "eval/calibration_fit.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace candor::eval {

float CosineAtRate(const std::vector<float>& sorted_descending, double rate) {
  if (sorted_descending.empty()) return std::numeric_limits<float>::infinity();
  const size_t k = static_cast<size_t>(std::floor(rate * static_cast<double>(sorted_descending.size())));
  if (k >= sorted_descending.size()) return sorted_descending.back();
  return std::nextafter(sorted_descending[k], 2.f);
}

int DeepestMeasurableSimilarity(long long pairs, double min_expected) {
  int deepest = -1;
  for (int s = 0; s <= 100; ++s) {
    if (static_cast<double>(pairs) * FalseMatchRateAt(static_cast<float>(s)) >= min_expected) {
      deepest = s;
    }
  }
  return deepest;
}

StatusOr<Calibration> FitWorstGroupCalibration(std::vector<float> base,
                                               std::vector<GroupImpostors> groups,
                                               const WorstGroupOptions& options,
                                               Calibration::Metadata metadata) {
  if (base.empty()) return Status::InvalidArgument("no base impostor pairs to calibrate on");
  const std::vector<Calibration::Point> base_table =
      Calibration::FromImpostorScores(std::move(base), "").points();
  std::vector<Calibration::Point> table = base_table;
  metadata.groups.clear();
  for (GroupImpostors& g : groups) {
    std::sort(g.cosines.begin(), g.cosines.end(), std::greater<float>());
    const long long pairs = static_cast<long long>(g.cosines.size());
    const int deepest = DeepestMeasurableSimilarity(
        pairs, g.min_expected_matches > 0 ? g.min_expected_matches : options.min_expected_matches);
    if (deepest < 0) {
      metadata.groups.push_back({g.group, pairs, -1.f, 0.f});
      continue;
    }
    auto shift_at = [&](int s) {
      return CosineAtRate(g.cosines, FalseMatchRateAt(static_cast<float>(s))) -
             base_table[static_cast<size_t>(s)].cosine;
    };
    const float carried = shift_at(deepest);
    for (int s = 0; s <= 100; ++s) {
      const float shift = s <= deepest ? shift_at(s) : carried;
      Calibration::Point& p = table[static_cast<size_t>(s)];
      p.cosine = std::max(p.cosine, base_table[static_cast<size_t>(s)].cosine + shift);
    }
    metadata.groups.push_back({g.group, pairs, static_cast<float>(deepest), carried});
  }
  for (size_t s = 1; s < table.size(); ++s) {
    table[s].cosine = std::max(table[s].cosine, table[s - 1].cosine);
  }
  return Calibration::FromTable(std::move(table), std::move(metadata));
}

}  // namespace candor::eval
