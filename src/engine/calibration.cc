#include "candor/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
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
  c.metadata_.source = std::move(source);
  c.metadata_.method = "all impostor pairs";
  c.metadata_.impostor_pairs = static_cast<long long>(scores.size());
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
  c.version_ = Fingerprint(c.points_);
  return c;
}

std::string Calibration::Fingerprint(const std::vector<Point>& points) {
  // FNV-1a (64 bits) over the table's float bit patterns: not a defence
  // against a forger (the audit log's chain is), but any edit or damage to a
  // number changes it.
  uint64_t h = 1469598103934665603ull;
  for (const Point& p : points) {
    for (float f : {p.similarity, p.cosine}) {
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      for (int i = 0; i < 4; ++i) {
        h ^= (bits >> (8 * i)) & 0xffu;
        h *= 1099511628211ull;
      }
    }
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

Status Calibration::CheckTable(const std::vector<Point>& points) {
  if (points.size() != 101) return Status::Corruption("calibration table must have 101 points");
  for (size_t i = 0; i < points.size(); ++i) {
    if (points[i].similarity != static_cast<float>(i) || !std::isfinite(points[i].cosine) ||
        (i > 0 && points[i].cosine < points[i - 1].cosine)) {
      return Status::Corruption("calibration table is not monotonic at similarity " +
                                std::to_string(i));
    }
  }
  return Status::Ok();
}

StatusOr<Calibration> Calibration::FromTable(std::vector<Point> points, Metadata metadata) {
  if (Status s = CheckTable(points); !s.ok()) return Status::InvalidArgument(s.message());
  Calibration c;
  c.points_ = std::move(points);
  c.metadata_ = std::move(metadata);
  c.version_ = (c.metadata_.date.empty() ? "" : c.metadata_.date + "-") + Fingerprint(c.points_);
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
  j["format"] = 2;
  j["version"] = version_;
  j["face_model_version"] = metadata_.face_model_version;
  j["method"] = metadata_.method;
  j["source"] = metadata_.source;
  j["date"] = metadata_.date;
  j["impostor_pairs"] = metadata_.impostor_pairs;
  j["meaning"] =
      "Similarity S means: an estimated share FalseMatchRateAt(S) of comparisons between "
      "different people score S or more. Anchors (S, false-match rate): 0 1; 50 1e-2; 80 1e-3; "
      "90 1e-4; 99 1e-5; 100 1e-6; log-linear between anchors.";
  nlohmann::json groups = nlohmann::json::array();
  for (const GroupShift& g : metadata_.groups) {
    groups.push_back({{"group", g.group},
                      {"pairs", g.pairs},
                      {"measured_at", g.measured_at},
                      {"cosine_shift", g.cosine_shift}});
  }
  j["groups"] = groups;
  nlohmann::json table = nlohmann::json::array();
  for (const Point& p : points_) table.push_back({{"similarity", p.similarity}, {"cosine", p.cosine}});
  j["table"] = table;
  return j.dump(2);
}

StatusOr<Calibration> Calibration::FromJson(const std::string& text) {
  Calibration c;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object() || j.value("format", 0) != 2) {
      return Status::Corruption(
          "calibration is not format 2 (rebuild it with `candor eval calibrate`)");
    }
    c.version_ = j.at("version").get<std::string>();
    Metadata& m = c.metadata_;
    m.face_model_version = j.at("face_model_version").get<std::string>();
    m.method = j.at("method").get<std::string>();
    m.source = j.at("source").get<std::string>();
    m.date = j.value("date", "");
    m.impostor_pairs = j.value("impostor_pairs", 0LL);
    for (const auto& g : j.value("groups", nlohmann::json::array())) {
      m.groups.push_back({g.at("group").get<std::string>(), g.at("pairs").get<long long>(),
                          g.at("measured_at").get<float>(), g.at("cosine_shift").get<float>()});
    }
    for (const auto& p : j.at("table")) {
      c.points_.push_back({p.at("similarity").get<float>(), p.at("cosine").get<float>()});
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("calibration is not valid: ") + e.what());
  }
  CANDOR_RETURN_IF_ERROR(CheckTable(c.points_));
  const std::string fingerprint = Fingerprint(c.points_);
  const std::string& v = c.version_;
  if (v.size() < fingerprint.size() || v.compare(v.size() - fingerprint.size(), fingerprint.size(),
                                                 fingerprint) != 0) {
    return Status::Corruption("calibration table does not match its version " + v +
                              " (edited or damaged; its fingerprint is " + fingerprint + ")");
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
