// Per-group false-match and false-non-match rates at each Similarity, on the
// shared data, and the recipe of the shipped calibration (calibration_fit.h)
// run on those same faces.
//
// Two data sets, because neither alone is enough:
// - LFW with ../shared/data/lfw/groups.tsv: a group (African, Asian,
//   Caucasian, Indian) for 1,646 people, with identities, so both false
//   matches (pairs of different people of one group) and false non-matches
//   (pairs of photos of one person) are measured.
// - UTKFace: race x gender labels (10 groups) but no identities, so every pair
//   of distinct images is taken as an impostor pair (pairs above a duplicate
//   cosine are left out as likely the same image or person) and no false
//   non-match rate exists. Some "impostor" pairs are one person photographed
//   twice (UTKFace holds celebrities), which inflates its rates, most at the
//   high similarities where true impostors are rare.
//
// Cross-fitting: the honest figure for a calibration made from these same
// data sets. Faces are split in two folds (LFW by person, UTKFace by image);
// the calibration is fitted on one fold and measured on the other, and the
// counts of both directions are added up.
//
// Thread safety: pure functions over values.
#ifndef CANDOR_EVAL_FAIRNESS_H_
#define CANDOR_EVAL_FAIRNESS_H_

#include <string>
#include <vector>

#include "candor/calibration.h"
#include "candor/engine.h"
#include "candor/status.h"
#include "eval/calibration_fit.h"
#include "eval/demographics.h"
#include "eval/lfw.h"

namespace candor::eval {

// The faces of one data set, with what is known about each.
struct FaceSet {
  std::string name;            // "LFW", "UTKFace"
  size_t dimension = 0;
  std::vector<float> vectors;  // rows x dimension, unit length
  bool identities_known = false;
  std::vector<int> identity;   // same value: same person (UTKFace: one per image)
  std::vector<int> group;      // index into group_names; -1: no group label
  std::vector<std::string> group_names;
  std::vector<int> age;        // years; -1 unknown
  std::vector<int> fold;       // 0 or 1, for cross-fitting
  std::vector<std::string> files;
  int images = 0;              // listed, including those without a face
  size_t rows() const { return group.size(); }
  const float* row(size_t i) const { return vectors.data() + i * dimension; }
};

// LFW's images with a face found, grouped by groups.tsv (people not in it
// have group -1 and still count as impostors in the base pairs).
StatusOr<FaceSet> LoadLfwWithGroups(Engine& engine, const std::string& data_dir,
                                    const EmbedRunOptions& run);
// UTKFace's labelled images with a face found; groups "White/Male", ...
StatusOr<FaceSet> LoadUtkFaceWithGroups(Engine& engine, const std::string& data_dir,
                                        const EmbedRunOptions& run);

// Which pairs of a FaceSet take part.
struct PairSelection {
  int fold = -1;                  // only faces of this fold; -1: all
  int min_age = 0;                // only faces labelled at least this old (unknown ages pass)
  float duplicate_cosine = 1.1f;  // leave out impostor pairs above it (> 1: keep all)
};

// Every impostor pair (different identities, any groups) of the selection.
std::vector<float> AllImpostorCosines(const FaceSet& faces, const PairSelection& selection);
// The impostor pairs within each group, named "<set>/<group>".
std::vector<GroupImpostors> WithinGroupImpostors(const FaceSet& faces,
                                                 const PairSelection& selection);

inline constexpr const char* kShippedCalibrationMethod =
    "worst group: at each Similarity the strictest cosine of all LFW impostor pairs and of the "
    "within-group impostor pairs of each LFW group (groups.tsv) and each UTKFace race x gender "
    "group of adults, the latter read down to 1e-2 only and carried (calibration_fit.h)";

// The shipped recipe: base table from LFW's impostor pairs, worst group of
// LFW's groups and UTKFace's adults (min_age 18, duplicate cosine 0.9).
// `fold` -1 fits on everything, 0 or 1 on that fold only.
StatusOr<Calibration> FitShippedCalibration(const FaceSet& lfw, const FaceSet& utkface, int fold,
                                            Calibration::Metadata metadata);

struct GroupRates {
  std::string group;
  long long impostor_pairs = 0;
  long long likely_duplicates = 0;          // excluded impostor pairs
  std::vector<long long> false_matches;     // per similarity: impostors at or above it
  long long genuine_pairs = 0;              // 0 where identities are unknown
  std::vector<long long> false_non_matches; // per similarity: genuine pairs below it
};

struct FairnessTable {
  std::string dataset;  // e.g. "LFW (groups.tsv)", "UTKFace, 18 and over"
  bool identities_known = false;
  std::vector<float> similarities;
  std::vector<GroupRates> groups;
  void Add(const FairnessTable& other);  // same shape: counts summed
};

// Counts, per group of the selection, as the engine decides a match:
// calibration.Similarity(cosine) >= similarity.
FairnessTable MeasureGroups(const FaceSet& faces, const Calibration& calibration,
                            const std::vector<float>& similarities, const PairSelection& selection,
                            const std::string& dataset);

// Worst over best within-group false-match rate at one similarity, with a
// lower bound at 95% (CompareWithinGroupRates' rule).
struct RateRatio {
  std::string worst_group, best_group;
  double ratio = 0;              // +inf when the best group has no false match
  double ratio_lower_bound = 0;  // worst's lower CP bound over best's upper
  double worst_rate = 0, best_rate = 0;
};
RateRatio CompareGroupRates(const FairnessTable& table, size_t similarity_index);

struct FairnessOptions {
  std::vector<float> similarities = {50.f, 80.f, 90.f, 95.f, 99.f};
  bool cross_fit = true;  // false: measure the engine's own calibration in-sample
};

struct FairnessReport {
  std::string calibration_version;  // in-sample: the shipped one; cross-fit: "cross-fitted"
  std::string calibration_method;
  bool cross_fitted = false;
  std::vector<FairnessTable> tables;  // LFW, UTKFace adults, UTKFace all ages
  int lfw_images = 0, lfw_faces = 0, utkface_images = 0, utkface_faces = 0;
};

StatusOr<FairnessReport> EvaluateFairness(Engine& engine, const std::string& data_dir,
                                          const EmbedRunOptions& lfw_run,
                                          const EmbedRunOptions& utkface_run,
                                          const FairnessOptions& options);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_FAIRNESS_H_
