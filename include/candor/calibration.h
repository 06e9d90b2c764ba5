// Similarity calibration: from the raw cosine of two embeddings to a
// Similarity percentage whose meaning is a measured false-match rate.
//
// The table is data (models/calibration.json), produced by `candor eval
// calibrate` from impostor pairs, with the data set and date it came from.
// Between anchors, -log10(false-match rate) is linear in the similarity, and
// the cosine is interpolated linearly between table points.
//
// A calibration is versioned apart from the embedding network: it names the
// FaceModelVersion it was measured for (an engine refuses one made for
// another), and its version ends in a fingerprint of its table, checked at
// load, so that an edited or damaged table is refused, not used. A new
// calibration never requires re-enrolment: stored vectors are cosines' input,
// the calibration only reads cosines.
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
  // How one demographic group moved the table (provenance, kept in the file).
  struct GroupShift {
    std::string group;         // e.g. "LFW/Asian", "UTKFace/Indian/Female"
    long long pairs = 0;       // within-group impostor pairs measured
    float measured_at = 0;     // the similarity anchor its shift was measured at
    float cosine_shift = 0;    // its quantile minus the base table's there
  };
  // What a calibration file says about itself besides the table.
  struct Metadata {
    std::string face_model_version;  // the embedding it was measured for
    std::string method;              // how the table was made, in words
    std::string source;              // data sets, command, pipeline, date
    std::string date;                // YYYY-MM-DD
    long long impostor_pairs = 0;
    std::vector<GroupShift> groups;
  };

  // Parses models/calibration.json (format 2). Corruption, naming the
  // problem, for anything else: not JSON, another format, a missing member,
  // a table that is not 101 monotonic points, or one that does not match
  // the fingerprint in its version.
  static StatusOr<Calibration> FromJson(const std::string& json_text);
  static StatusOr<Calibration> Load(const std::string& path);
  // Builds a table from impostor cosines: the similarity of a cosine c is the
  // one whose anchor false-match rate equals the share of impostors >= c.
  static Calibration FromImpostorScores(std::vector<float> impostor_cosines, std::string source);
  // A calibration from a finished table (101 points, similarity 0..100);
  // InvalidArgument if it is not monotonic. Its version is made here.
  static StatusOr<Calibration> FromTable(std::vector<Point> points, Metadata metadata);
  std::string ToJson() const;

  // "<date>-<fingerprint>", e.g. "2026-12-07-3f9c0a12d4e5b6c7": carried in
  // responses (CandorCalibrationVersion) and in audit records.
  const std::string& version() const { return version_; }
  const Metadata& metadata() const { return metadata_; }

  float Similarity(float cosine) const;
  float CosineForSimilarity(float similarity) const;
  double FalseMatchRate(float cosine) const { return FalseMatchRateAt(Similarity(cosine)); }

  const std::vector<Point>& points() const { return points_; }
  const std::string& source() const { return metadata_.source; }
  long long impostor_pairs() const { return metadata_.impostor_pairs; }

 private:
  static std::string Fingerprint(const std::vector<Point>& points);
  static Status CheckTable(const std::vector<Point>& points);

  std::vector<Point> points_;  // similarity 0,1,...,100; cosine non-decreasing
  Metadata metadata_;
  std::string version_;
};

}  // namespace candor

#endif  // CANDOR_CALIBRATION_H_
