#include "candor/calibration.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace candor {

double FalseMatchRateAt(float similarity) {
  const auto& a = kSimilarityAnchors;
  const size_t n = std::size(a);
  if (similarity <= a[0].similarity) return a[0].false_match_rate;
  for (size_t i = 1; i < n; ++i) {
    if (similarity <= a[i].similarity) {
      const double t = (similarity - a[i - 1].similarity) / (a[i].similarity - a[i - 1].similarity);
      const double l0 = std::log10(a[i - 1].false_match_rate), l1 = std::log10(a[i].false_match_rate);
      return std::pow(10.0, l0 + t * (l1 - l0));
    }
  }
  return a[n - 1].false_match_rate;
}

float SimilarityForFalseMatchRate(double fmr) {
  const auto& a = kSimilarityAnchors;
  const size_t n = std::size(a);
  if (fmr >= a[0].false_match_rate) return a[0].similarity;
  for (size_t i = 1; i < n; ++i) {
    if (fmr >= a[i].false_match_rate) {
      const double l0 = std::log10(a[i - 1].false_match_rate), l1 = std::log10(a[i].false_match_rate);
      const double t = (std::log10(fmr) - l0) / (l1 - l0);
      return static_cast<float>(a[i - 1].similarity + t * (a[i].similarity - a[i - 1].similarity));
    }
  }
  return a[n - 1].similarity;
}

Calibration Calibration::FromImpostorScores(std::vector<float> scores, std::string source) {
  Calibration c;
  c.source_ = std::move(source);
  c.impostor_pairs_ = static_cast<long long>(scores.size());
  std::sort(scores.begin(), scores.end(), std::greater<float>());
  const double n = static_cast<double>(scores.size());
  for (int s = 0; s <= 100; ++s) {
    const double fmr = FalseMatchRateAt(static_cast<float>(s));
    // The smallest cosine t such that at most fmr * n impostors reach t.
    const size_t k = static_cast<size_t>(std::floor(fmr * n));
    float t;
    if (scores.empty()) {
      t = static_cast<float>(s) / 100.f;
    } else if (k >= scores.size()) {
      t = scores.back();
    } else {
      t = std::nextafter(scores[k], 2.f);
    }
    if (!c.points_.empty()) t = std::max(t, c.points_.back().cosine);
    c.points_.push_back({static_cast<float>(s), t});
  }
  return c;
}

float Calibration::Similarity(float cosine) const {
  if (points_.empty()) return 0;
  if (cosine < points_.front().cosine) return 0;
  if (cosine >= points_.back().cosine) return 100;
  // First point with cosine > `cosine`; the segment before it holds it.
  auto it = std::upper_bound(points_.begin(), points_.end(), cosine,
                             [](float c, const Point& p) { return c < p.cosine; });
  const Point& hi = *it;
  const Point& lo = *(it - 1);
  const float span = hi.cosine - lo.cosine;
  const float t = span > 0 ? (cosine - lo.cosine) / span : 0.f;
  return lo.similarity + t * (hi.similarity - lo.similarity);
}

float Calibration::CosineForSimilarity(float similarity) const {
  if (points_.empty()) return 1;
  similarity = std::clamp(similarity, 0.f, 100.f);
  const size_t i = std::min(static_cast<size_t>(similarity), points_.size() - 2);
  const float t = similarity - points_[i].similarity;
  return points_[i].cosine + t * (points_[i + 1].cosine - points_[i].cosine);
}

std::string Calibration::ToJson() const {
  nlohmann::json j;
  j["source"] = source_;
  j["impostor_pairs"] = impostor_pairs_;
  j["meaning"] =
      "Similarity S means: an estimated share FalseMatchRateAt(S) of comparisons between "
      "different people score S or more. Anchors (S, false-match rate): 0 1; 50 1e-2; 80 1e-3; "
      "90 1e-4; 99 1e-5; 100 1e-6; log-linear between anchors.";
  nlohmann::json table = nlohmann::json::array();
  for (const Point& p : points_) table.push_back({{"similarity", p.similarity}, {"cosine", p.cosine}});
  j["table"] = table;
  return j.dump(2);
}

StatusOr<Calibration> Calibration::FromJson(const std::string& text) {
  Calibration c;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    c.source_ = j.at("source").get<std::string>();
    c.impostor_pairs_ = j.value("impostor_pairs", 0LL);
    for (const auto& p : j.at("table")) {
      c.points_.push_back({p.at("similarity").get<float>(), p.at("cosine").get<float>()});
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("calibration is not valid: ") + e.what());
  }
  if (c.points_.size() != 101) return Status::Corruption("calibration table must have 101 points");
  for (size_t i = 0; i < c.points_.size(); ++i) {
    if (c.points_[i].similarity != static_cast<float>(i) ||
        (i > 0 && c.points_[i].cosine < c.points_[i - 1].cosine) ||
        !std::isfinite(c.points_[i].cosine)) {
      return Status::Corruption("calibration table is not monotonic at similarity " +
                                std::to_string(i));
    }
  }
  return c;
}

StatusOr<Calibration> Calibration::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("calibration file not found: " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = FromJson(ss.str());
  if (!c.ok()) return Status::Corruption(path + ": " + c.status().message());
  return c;
}

}  // namespace candor
