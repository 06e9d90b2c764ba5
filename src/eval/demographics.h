// False-match rates by demographic group, from impostor pairs within
// UTKFace (race x gender, 10 groups), at the operating thresholds.
//
// UTKFace has no identities, so every pair of distinct images is taken as an
// impostor pair. That is true as far as anyone knows, but the set holds some
// duplicates and probably some people photographed twice; pairs scoring
// above a duplicate cosine (0.9 by default, far above any operating
// threshold) are excluded as likely the same person, and counted.
//
// What this cannot measure: with no identities there are no mated pairs, so
// no per-group false non-match rate (how often a person is not recognised).
//
// The counting is exact: every pair is scored with the exact index's dot
// product kernels and compared with the calibrated cosine of each threshold.
#ifndef CANDOR_EVAL_DEMOGRAPHICS_H_
#define CANDOR_EVAL_DEMOGRAPHICS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "candor/engine.h"
#include "candor/status.h"
#include "eval/lfw.h"

namespace candor::eval {

// A two-sided confidence interval for a proportion.
struct ProportionInterval {
  double lower = 0;
  double upper = 1;
};

// The Clopper-Pearson ("exact") interval for `successes` out of `trials`:
// conservative, and meaningful at zero successes (then lower is 0 and upper
// about 3.7 / trials at 95%). trials == 0 gives [0, 1]. Pure function.
ProportionInterval ClopperPearson(long long successes, long long trials, double confidence = 0.95);

// The pairs between two groups (or within one).
struct PairCell {
  long long pairs = 0;                   // impostor pairs counted
  long long likely_duplicates = 0;       // excluded: cosine above the duplicate cosine
  std::vector<long long> false_matches;  // per threshold: counted pairs with cosine >= it

  // false_matches[t] / pairs; 0 without pairs.
  double Rate(size_t t) const;
};

// Symmetric table of PairCells over `groups` groups: cell(a, b) and
// cell(b, a) are the same cell. A value; not synchronised.
class PairCounts {
 public:
  PairCounts() = default;
  PairCounts(int groups, size_t thresholds);

  int groups() const { return groups_; }
  size_t thresholds() const { return thresholds_; }
  PairCell& cell(int a, int b) { return cells_[Index(a, b)]; }
  const PairCell& cell(int a, int b) const { return cells_[Index(a, b)]; }

  void Add(const PairCounts& other);  // same shape
  PairCell Total() const;             // all cells
  PairCell WithinGroups() const;      // cells (a, a)
  PairCell AcrossGroups() const;      // cells (a, b), a != b

 private:
  size_t Index(int a, int b) const;

  int groups_ = 0;
  size_t thresholds_ = 0;
  std::vector<PairCell> cells_;  // upper triangle, row by row
};

// Unit-length vectors, row-major, each with a group in [0, groups).
struct LabelledVectors {
  std::vector<float> values;  // rows * dimension
  size_t dimension = 0;
  std::vector<int> group;  // one per row
  int groups = 0;
};

struct PairCountOptions {
  // A pair falsely matches at threshold t when its cosine is >= t.
  std::vector<float> cosine_thresholds;
  // Pairs with a cosine above this are likely the same person and excluded;
  // 1 or more keeps every pair.
  float duplicate_cosine = 0.9f;
  int threads = 2;
  // How many excluded pairs to list (all are counted).
  size_t max_listed_duplicates = 100;
};

struct ScoredPairIndex {
  size_t first = 0;  // row indices, first < second
  size_t second = 0;
  float cosine = 0;
};

struct PairCountResult {
  PairCounts counts;
  std::vector<ScoredPairIndex> duplicates;  // the first listed ones, by (first, second)
};

// Scores every pair of distinct rows once. InvalidArgument if the shapes
// disagree or a group is out of range.
StatusOr<PairCountResult> CountImpostorPairs(const LabelledVectors& vectors,
                                             const PairCountOptions& options);

// The within-group false-match rates at one threshold compared: the highest
// over the lowest, among groups with at least one pair (ties: the lower
// group index).
struct GroupRateRatio {
  int worst_group = -1;
  int best_group = -1;
  ProportionInterval worst_interval;
  ProportionInterval best_interval;
  // worst rate / best rate; +infinity when the best group has no false
  // match (then only ratio_lower_bound says anything), 0 when neither has.
  double ratio = 0;
  // worst_interval.lower / best_interval.upper. With each interval two-sided
  // at confidence c, the true ratio of these two groups is at least this with
  // confidence >= c (each bound fails one-sidedly with (1 - c) / 2).
  double ratio_lower_bound = 0;
};
GroupRateRatio CompareWithinGroupRates(const PairCounts& counts, size_t threshold_index,
                                       double confidence = 0.95);

// The whole measurement on the shared data.
struct DemographicsOptions {
  std::vector<float> similarities = {80.f, 90.f, 95.f, 99.f};
  float duplicate_cosine = 0.9f;
  int count_threads = 2;
  // Faces labelled younger than this (years) are left out. Children's faces
  // score high against each other and UTKFace's groups hold very different
  // shares of them (a third of Asian/Male, 3% of Black/Male), so the group
  // differences are confounded with age unless they are left out.
  int min_age = 0;
};

struct DemographicsThreshold {
  float similarity = 0;
  float cosine = 0;           // Calibration::CosineForSimilarity
  double calibrated_fmr = 0;  // FalseMatchRateAt(similarity)
};

struct NamedDuplicate {
  std::string first;  // file names
  std::string second;
  float cosine = 0;
};

struct DemographicsReport {
  std::string calibration_source;
  std::vector<DemographicsThreshold> thresholds;
  int images = 0;
  int images_unlabelled = 0;     // file name does not parse: left out
  int images_below_min_age = 0;  // left out
  int min_age = 0;
  std::vector<int> images_by_group;        // labelled images of the age range
  std::vector<int> without_face_by_group;  // no face found: left out
  PairCounts counts;                       // groups as UtkFaceGroupIndex
  std::vector<NamedDuplicate> duplicates;  // listed ones
};

StatusOr<DemographicsReport> EvaluateDemographics(Engine& engine, const std::string& data_dir,
                                                  const EmbedRunOptions& embed_options,
                                                  const DemographicsOptions& options);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_DEMOGRAPHICS_H_
