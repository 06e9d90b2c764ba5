// Similarity calibration: from the raw cosine of two embeddings to a
// Similarity percentage whose meaning is a measured false-match rate.
//
// The table is data (models/calibration.json), produced by `candor eval
// calibrate` from impostor pairs, with the data set and date it came from.
// Between anchors, -log10(false-match rate) is linear in the similarity, and
// the cosine is interpolated linearly between table points.
//
// A Calibration is immutable and safe to share between threads.
#ifndef CANDOR_CALIBRATION_H_
#define CANDOR_CALIBRATION_H_

#include <string>
#include <vector>

#include "candor/status.h"

namespace candor {

// The documented meaning of Similarity: the false-match rate per comparison
// at or above each anchor similarity. 99 means at most 1 in 100,000.
struct SimilarityAnchor {
  float similarity;
  double false_match_rate;
};
inline constexpr SimilarityAnchor kSimilarityAnchors[] = {
    {0.f, 1.0}, {50.f, 1e-2}, {80.f, 1e-3}, {90.f, 1e-4}, {99.f, 1e-5}, {100.f, 1e-6},
};

// The false-match rate the anchors assign to a similarity (log-linear).
double FalseMatchRateAt(float similarity);
// The similarity the anchors assign to a false-match rate (inverse of above).
float SimilarityForFalseMatchRate(double false_match_rate);

class Calibration {
 public:
  struct Point {
    float similarity;  // 0..100
    float cosine;      // the cosine at which this similarity starts
  };

  // Parses models/calibration.json; Corruption if the table is not monotonic.
  static StatusOr<Calibration> FromJson(const std::string& json_text);
  static StatusOr<Calibration> Load(const std::string& path);
  // Builds a table from impostor cosines: the similarity of a cosine c is the
  // one whose anchor false-match rate equals the share of impostors >= c.
  static Calibration FromImpostorScores(std::vector<float> impostor_cosines, std::string source);
  std::string ToJson() const;

  float Similarity(float cosine) const;
  float CosineForSimilarity(float similarity) const;
  double FalseMatchRate(float cosine) const { return FalseMatchRateAt(Similarity(cosine)); }

  const std::vector<Point>& points() const { return points_; }
  const std::string& source() const { return source_; }
  long long impostor_pairs() const { return impostor_pairs_; }

 private:
  std::vector<Point> points_;  // similarity 0,1,...,100; cosine non-decreasing
  std::string source_;         // data set, command and date
  long long impostor_pairs_ = 0;
};

}  // namespace candor

#endif  // CANDOR_CALIBRATION_H_
