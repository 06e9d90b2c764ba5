// The experiment that made the news. In July 2018 the ACLU searched one photo
// each of the 535 members of the US Congress against 25,000 arrest photos
// with Amazon Rekognition at its default 80% confidence, and 28 members were
// falsely matched, people of colour out of proportion (about 40% of the false
// matches against 20% of Congress; https://www.aclu.org/blog/privacy-technology/
// surveillance-technologies/amazons-face-recognition-falsely-matched-28).
//
// Here: one photo each of 535 distinct LFW people, chosen by a seeded
// shuffle, searched exactly against every UTKFace face, none of whom is any
// of them as far as the data says. Every match is counted as false; but
// UTKFace has no names and was collected from the web, and it holds some LFW
// celebrities, whose matches are true: that can only add false matches,
// never hide one, and the best match of every probe is kept so that they can
// be looked at. Counted at each Similarity threshold: the people with at
// least one false match, all false matches, what the calibration expects,
// and which race x gender groups of the gallery the false matches fall on,
// against each group's share of the gallery.
//
// LFW has no race or gender labels, so this says who in the gallery is
// wrongly pointed at, not which of the searched people are most often
// mismatched (what the ACLU counted).
//
// Thread safety: pure functions, except RunNewsExperiment, which uses the
// engine as Engine allows.
#ifndef CANDOR_EVAL_NEWS_EXPERIMENT_H_
#define CANDOR_EVAL_NEWS_EXPERIMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "candor/engine.h"
#include "candor/status.h"
#include "eval/demographics.h"
#include "eval/lfw.h"

namespace candor::eval {

// The ACLU test's size: one photo of each member of Congress.
inline constexpr int kNewsExperimentPeople = 535;

// `count` distinct indices of [0, candidates), sorted: the first `count` of a
// Fisher-Yates shuffle driven by SplitMix64 from `seed`, so the choice is the
// same on every platform and standard library. InvalidArgument if count is
// negative or more than candidates.
StatusOr<std::vector<int>> ChooseDistinct(int candidates, int count, uint64_t seed);

// One probe's highest-scoring gallery face.
struct BestMatch {
  int gallery_face = -1;  // row of the gallery
  float cosine = -2;
};

// False matches of every probe against every gallery row, all of them
// impostor pairs, at each cosine threshold (a pair matches at threshold t
// when its cosine is >= t, as the search's own dot-product kernel scores it).
struct FalseMatchCounts {
  int probes = 0;
  int gallery_faces = 0;
  std::vector<int> gallery_by_group;  // faces of each group
  // Per threshold:
  std::vector<int> probes_with_match;    // probes with at least one match
  std::vector<long long> false_matches;  // all matching (probe, gallery) pairs
  // [threshold][group]: matches falling on the group's faces, and the probes
  // with at least one match there (a probe can count in several groups).
  std::vector<std::vector<long long>> false_matches_by_group;
  std::vector<std::vector<int>> probes_by_group;
  // [threshold][probe][group]: one probe's matches on one group's faces, so
  // that a probe found to be in the gallery after all can be left out.
  std::vector<std::vector<std::vector<int>>> matches_by_probe;
  // Per probe: its best gallery face (the likeliest to be the same person).
  std::vector<BestMatch> best_match;

  // All matches of one probe at one threshold.
  long long MatchesOfProbe(size_t threshold, int probe) const;
};

// A (probe, gallery row) pair known to be one person, left out of counts.
struct ProbeGalleryPair {
  int probe = 0;
  int gallery_row = 0;
  bool operator<(const ProbeGalleryPair& o) const {
    return probe < o.probe || (probe == o.probe && gallery_row < o.gallery_row);
  }
};

// `probes` is row-major with gallery.dimension floats per row; all rows unit
// length. Pairs in `same_person` are not impostor pairs and are skipped (not
// counted, never a best match). InvalidArgument if the shapes disagree or a
// group is out of range.
StatusOr<FalseMatchCounts> CountFalseMatches(const LabelledVectors& gallery,
                                             const std::vector<float>& probes,
                                             const std::vector<float>& cosine_thresholds,
                                             const std::vector<ProbeGalleryPair>& same_person = {});

// UTKFace was collected from the web and holds people who are also in LFW.
// A file of (LFW person, UTKFace image) pairs judged by a person to show the
// same person (tab-separated: person, utkface file, free note; '#' comments),
// made by looking at every pair at Similarity 99 (tools/eval/README.md).
struct SamePersonPair {
  std::string lfw_person;  // LFW folder name, e.g. "Jackie_Chan"
  std::string utkface_file;
  std::string note;
};
StatusOr<std::vector<SamePersonPair>> ReadSamePersonPairs(const std::string& path);

// A group's share of the false matches over its share of the gallery: 1 when
// false matches fall on it as often as its size predicts, 2 when twice as
// often. nullopt when there is no false match at all or the group or the
// gallery is empty (nothing to compare). Takes counts or PersonWeighted sums.
std::optional<double> RepresentationRatio(double group_false_matches, double false_matches,
                                          int group_faces, int gallery_faces);

// False matches with each falsely matched probe counted once: its matches
// spread over the groups as shares summing to 1 (3 matches on group A and 1
// on B give A 0.75 and B 0.25), summed over probes; one value per group,
// summing to probes_with_match[threshold]. So one probe who resembles many
// gallery faces (a toddler among UTKFace's babies) weighs as one person, not
// as hundreds of matches.
std::vector<double> PersonWeightedFalseMatches(const FalseMatchCounts& counts, size_t threshold);

struct NewsExperimentOptions {
  int people = kNewsExperimentPeople;
  uint64_t seed = 1;
  std::vector<float> similarities = {80.f, 90.f, 95.f, 99.f};
  // Pairs of one person to leave out (ReadSamePersonPairs); empty: none.
  std::vector<SamePersonPair> same_person;
};

// A pair that the experiment left out as one person, with its score.
struct RemovedPair {
  std::string probe;         // LFW file name
  std::string gallery_face;  // UTKFace file name
  float cosine = 0;
  std::string note;
};

struct NewsThreshold {
  float similarity = 0;
  float cosine = 0;           // Calibration::CosineForSimilarity
  double calibrated_fmr = 0;  // FalseMatchRateAt(similarity)
  // What the calibration predicts if comparisons were independent:
  // fmr * probes * gallery, and probes * (1 - (1 - fmr)^gallery).
  double expected_false_matches = 0;
  double expected_probes_with_match = 0;
};

struct NewsExperimentReport {
  uint64_t seed = 0;
  std::string calibration_source;
  int lfw_people = 0;               // LFW people in the data
  int lfw_people_with_face = 0;     // with a face found in some photo: the candidates
  std::vector<std::string> probes;  // the chosen photos, LFW file names
  int utkface_images = 0;
  int utkface_without_face = 0;            // no face found: not in the gallery
  std::vector<std::string> gallery_faces;  // UTKFace file names, one per gallery row
  // Groups as UtkFaceGroupIndex, plus kUtkFaceGroups for names that do not
  // parse ("unknown"); they stay in the gallery.
  std::vector<NewsThreshold> thresholds;
  FalseMatchCounts counts;  // probes in the order of `probes`, gallery rows of `gallery_faces`
  std::vector<RemovedPair> removed;  // same-person pairs among the chosen probes, left out
};

StatusOr<NewsExperimentReport> RunNewsExperiment(Engine& engine, const std::string& data_dir,
                                                 const EmbedRunOptions& embed_options,
                                                 const NewsExperimentOptions& options);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_NEWS_EXPERIMENT_H_
