// An experiment on narrowing the demographic false-match differential
// without knowing anyone's group: cohort score normalisation.
//
// Each face gets a "crowdedness" mu = the mean of its K highest cosines
// against a fixed cohort of other people's faces (LFW here, a different
// population from the UTKFace faces measured). A pair's normalised score is
// cosine - (mu_a + mu_b) / 2: faces that resemble many strangers (a crowded
// part of the embedding space, which is where a group's high impostor
// scores come from) need a larger margin. No group label is used.
//
// The comparison is made at the same pooled false-match rate: the
// normalised threshold is the quantile of the pooled within-group
// normalised scores that accepts as many pairs as the raw threshold does,
// so that only the spread between groups changes, not the overall rate.
//
// Thread safety: pure functions.
#ifndef CANDOR_EVAL_SCORE_NORMALISATION_H_
#define CANDOR_EVAL_SCORE_NORMALISATION_H_

#include <string>
#include <vector>

#include "candor/engine.h"
#include "candor/status.h"
#include "eval/lfw.h"

namespace candor::eval {

// The mean of the `k` highest dot products of `query` (unit, `dimension`
// floats) with the cohort rows (row-major), leaving out row `skip_row` (the
// query itself when it is in the cohort); k is capped at the rows.
float CohortMean(const float* query, const std::vector<float>& cohort, size_t dimension, size_t k,
                 size_t skip_row = static_cast<size_t>(-1));

struct NormalisedGroupRates {
  std::string group;
  long long pairs = 0;
  long long raw_false_matches = 0;
  long long normalised_false_matches = 0;
  double mean_cohort_score = 0;  // mean mu of the group's faces
};

struct NormalisationAtThreshold {
  float similarity = 0;
  float raw_cosine = 0;
  float normalised_threshold = 0;
  long long pooled_raw = 0;         // within-group pairs accepted, raw
  long long pooled_normalised = 0;  // the same, normalised (matched to pooled_raw)
  std::vector<NormalisedGroupRates> groups;
  double raw_ratio = 0;  // worst / best within-group rate; inf when best is 0
  double normalised_ratio = 0;
};

struct NormalisationReport {
  int cohort_faces = 0;
  bool gallery_cohort = false;
  bool held_out = false;
  int k = 0;
  int min_age = 0;
  long long pairs = 0;
  std::vector<NormalisationAtThreshold> thresholds;
};

struct NormalisationOptions {
  std::vector<float> similarities = {80.f, 90.f, 95.f};
  int k = 50;
  int min_age = 0;
  float duplicate_cosine = 0.9f;  // as `eval demographics`: likely the same person
  int threads = 2;
  // false: the cohort is LFW (another population); true: the UTKFace faces
  // themselves, as a deployment would use the collection searched (each face
  // left out of its own cohort). In-sample, and still label-free.
  bool gallery_cohort = false;
  // With gallery_cohort: the cohort is every other UTKFace face (even
  // positions) and only pairs among the rest are measured, so no measured
  // face is in the cohort (a held-out check of the in-sample result).
  bool held_out = false;
};

StatusOr<NormalisationReport> EvaluateCohortNormalisation(Engine& engine,
                                                          const std::string& data_dir,
                                                          const EmbedRunOptions& lfw_run,
                                                          const EmbedRunOptions& utkface_run,
                                                          const NormalisationOptions& options);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_SCORE_NORMALISATION_H_
