// Fitting the similarity calibration so that its promise holds for every
// measured demographic group, not only for the population it was made on.
//
// The base table maps a cosine to the similarity whose documented
// false-match rate equals the share of `base` impostor pairs at or above it
// (all LFW cross-identity pairs: mostly pairs of people of different groups,
// the easy case). A search confuses look-alikes of one group far more often,
// so each labelled group's own within-group impostor pairs are measured too,
// and at every similarity the table takes the strictest cosine of them all:
// the worst group's rate is the documented one, and the cost falls on false
// non-matches (every other group's rate is lower).
//
// A group's quantile is read only where it rests on enough pairs: at
// similarity s, pairs x FalseMatchRateAt(s) >= min_expected_matches. Beyond
// its deepest such similarity, the group's cosine shift over the base table
// there is carried on unchanged (an assumption, recorded in the file as
// `measured_at`): a group of 50,000 pairs speaks for rates down to 1e-3.
//
// Thread safety: pure functions.
#ifndef CANDOR_EVAL_CALIBRATION_FIT_H_
#define CANDOR_EVAL_CALIBRATION_FIT_H_

#include <string>
#include <vector>

#include "candor/calibration.h"
#include "candor/status.h"

namespace candor::eval {

struct GroupImpostors {
  std::string group;           // e.g. "LFW/Asian"
  std::vector<float> cosines;  // within-group impostor pairs
  // > 0: this group's own bar instead of WorstGroupOptions' (a set without
  // identities needs a higher one: see kMinExpectedWithoutIdentities).
  double min_expected_matches = 0;
};

// A data set without identities (UTKFace) holds pairs of one person
// photographed twice among its "impostors"; they sit in the far tail, where
// true impostors are rare (at rate 1e-3 most of UTKFace's Asian and Others
// adults' pairs above the quantile are the same person, by eye; at 1e-2 few
// are). So such a group speaks only down to rates where 1,000 pairs are
// expected, about 1e-2 for 100,000 pairs, and its shift is carried beyond.
inline constexpr double kMinExpectedWithoutIdentities = 1000;

struct WorstGroupOptions {
  // A group's own quantile at a similarity is used only when that many of
  // its pairs are expected at or above it (50: a relative error of ~14%).
  double min_expected_matches = 50;
};

// The cosine that at most floor(rate x n) of `sorted_descending` reach: the
// rule of Calibration::FromImpostorScores, so that the two agree exactly.
// Empty input: +infinity (nothing is known, nothing may match).
float CosineAtRate(const std::vector<float>& sorted_descending, double rate);

// The deepest integer similarity (0..100) at which `pairs` pairs still expect
// `min_expected` matches; -1 when not even similarity 0 does.
int DeepestMeasurableSimilarity(long long pairs, double min_expected);

// The worst-group table described above. InvalidArgument when `base` is
// empty. `metadata.groups` is filled with each group's shift; the rest of
// `metadata` is kept.
StatusOr<Calibration> FitWorstGroupCalibration(std::vector<float> base,
                                               std::vector<GroupImpostors> groups,
                                               const WorstGroupOptions& options,
                                               Calibration::Metadata metadata);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_CALIBRATION_FIT_H_
