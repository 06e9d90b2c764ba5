#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace candor::eval {

double AccuracyAt(const std::vector<ScoredPair>& pairs, float threshold) {
  if (pairs.empty()) return 0;
  size_t correct = 0;
  for (const ScoredPair& p : pairs) correct += ((p.score >= threshold) == p.same);
  return static_cast<double>(correct) / pairs.size();
}

float BestThreshold(const std::vector<ScoredPair>& pairs) {
  if (pairs.empty()) return 0;
  std::vector<ScoredPair> sorted = pairs;
  std::sort(sorted.begin(), sorted.end(),
            [](const ScoredPair& a, const ScoredPair& b) { return a.score < b.score; });
  // Sweep thresholds upward: at a threshold below everything, every pair is
  // called same; each step past a score flips that pair to "different".
  size_t total_same = 0;
  for (const ScoredPair& p : sorted) total_same += p.same;
  long correct = static_cast<long>(total_same);  // threshold below all scores
  long best = correct;
  float best_threshold = sorted.front().score - 1e-4f;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j].score == sorted[i].score) {
      correct += sorted[j].same ? -1 : 1;
      ++j;
    }
    const float next = j < sorted.size() ? sorted[j].score : sorted[i].score + 1e-4f;
    if (correct > best) {
      best = correct;
      best_threshold = (sorted[i].score + next) / 2;
    }
    i = j;
  }
  return best_threshold;
}

VerificationReport TenFold(const std::vector<ScoredPair>& pairs, int folds) {
  VerificationReport report;
  double sum = 0, sum_sq = 0;
  for (int f = 0; f < folds; ++f) {
    std::vector<ScoredPair> train, test;
    for (const ScoredPair& p : pairs) (p.fold == f ? test : train).push_back(p);
    FoldResult r;
    r.threshold = BestThreshold(train);
    r.accuracy = AccuracyAt(test, r.threshold);
    report.folds.push_back(r);
    sum += r.accuracy;
    sum_sq += r.accuracy * r.accuracy;
  }
  report.mean_accuracy = sum / folds;
  report.std_accuracy = std::sqrt(std::max(0.0, sum_sq / folds - report.mean_accuracy * report.mean_accuracy));
  std::vector<float> genuine, impostor;
  for (const ScoredPair& p : pairs) (p.same ? genuine : impostor).push_back(p.score);
  report.eer = EqualErrorRate(genuine, impostor, &report.eer_threshold);
  return report;
}

double EqualErrorRate(std::vector<float> genuine, std::vector<float> impostor, float* threshold) {
  if (genuine.empty() || impostor.empty()) return 0;
  std::sort(genuine.begin(), genuine.end());
  std::sort(impostor.begin(), impostor.end());
  std::vector<float> candidates = genuine;
  candidates.insert(candidates.end(), impostor.begin(), impostor.end());
  std::sort(candidates.begin(), candidates.end());
  double best_gap = 2, eer = 1;
  float best_t = 0;
  for (float t : candidates) {
    // FRR: genuine below t; FAR: impostors at or above t.
    const double frr = double(std::lower_bound(genuine.begin(), genuine.end(), t) - genuine.begin()) /
                       genuine.size();
    const double far = double(impostor.end() - std::lower_bound(impostor.begin(), impostor.end(), t)) /
                       impostor.size();
    if (std::abs(far - frr) < best_gap) {
      best_gap = std::abs(far - frr);
      eer = (far + frr) / 2;
      best_t = t;
    }
  }
  if (threshold) *threshold = best_t;
  return eer;
}

double TarAtFar(const std::vector<float>& genuine, std::vector<float> impostor, double far,
                float* threshold) {
  if (genuine.empty() || impostor.empty()) return 0;
  std::sort(impostor.begin(), impostor.end(), std::greater<float>());
  // At most floor(far * n) impostors may score >= t.
  const size_t k = static_cast<size_t>(std::floor(far * impostor.size()));
  const float t = k >= impostor.size() ? impostor.back() : std::nextafter(impostor[k], 2.f);
  size_t accepted = 0;
  for (float g : genuine) accepted += g >= t;
  if (threshold) *threshold = t;
  return static_cast<double>(accepted) / genuine.size();
}

std::vector<RocPoint> Roc(const std::vector<float>& genuine, const std::vector<float>& impostor,
                          const std::vector<double>& fars) {
  std::vector<RocPoint> points;
  for (double far : fars) {
    RocPoint p{far, 0, 0};
    p.tar = TarAtFar(genuine, impostor, far, &p.threshold);
    points.push_back(p);
  }
  return points;
}


double RateAtOrAbove(const std::vector<float>& sorted_ascending, float threshold) {
  if (sorted_ascending.empty()) return 0;
  const auto first = std::lower_bound(sorted_ascending.begin(), sorted_ascending.end(), threshold);
  return static_cast<double>(sorted_ascending.end() - first) / sorted_ascending.size();
}

std::vector<DetPoint> DetCurve(std::vector<float> genuine, std::vector<float> impostor,
                               const std::vector<float>& thresholds) {
  std::sort(genuine.begin(), genuine.end());
  std::sort(impostor.begin(), impostor.end());
  std::vector<DetPoint> points;
  points.reserve(thresholds.size());
  for (float t : thresholds) {
    DetPoint p;
    p.threshold = t;
    p.fmr = RateAtOrAbove(impostor, t);
    p.fnmr = genuine.empty() ? 0 : 1 - RateAtOrAbove(genuine, t);
    points.push_back(p);
  }
  return points;
}

std::vector<long long> Histogram(const std::vector<float>& scores, float low, float high,
                                 int bins) {
  std::vector<long long> counts(static_cast<size_t>(std::max(1, bins)));
  const double width = (static_cast<double>(high) - low) / counts.size();
  for (float s : scores) {
    long long b = width > 0 ? static_cast<long long>(std::floor((s - low) / width)) : 0;
    b = std::clamp<long long>(b, 0, static_cast<long long>(counts.size()) - 1);
    ++counts[static_cast<size_t>(b)];
  }
  return counts;
}

long long ConfusionMatrix::Total() const {
  long long total = 0;
  for (const auto& row : counts) {
    for (long long c : row) total += c;
  }
  return total;
}

long long ConfusionMatrix::Correct() const {
  long long correct = 0;
  for (size_t i = 0; i < counts.size(); ++i) correct += counts[i][i];
  return correct;
}

double ConfusionMatrix::Accuracy() const {
  const long long total = Total();
  return total == 0 ? 0 : static_cast<double>(Correct()) / total;
}

double ConfusionMatrix::Recall(int c) const {
  long long row = 0;
  for (long long v : counts[c]) row += v;
  return row == 0 ? 0 : static_cast<double>(counts[c][c]) / row;
}

double ConfusionMatrix::Precision(int c) const {
  long long column = 0;
  for (const auto& row : counts) column += row[c];
  return column == 0 ? 0 : static_cast<double>(counts[c][c]) / column;
}

}  // namespace candor::eval
