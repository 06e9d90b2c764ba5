#include "eval/news_experiment.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <cmath>
#include <filesystem>
#include <limits>
#include <utility>

#include "eval/identify.h"
#include "eval/utkface.h"
#include "index/dot_product.h"

namespace candor::eval {
namespace {

// SplitMix64 (Steele, Lea and Flood 2014; the seeding generator of
// xoshiro): fully specified, unlike std::uniform_int_distribution, so a
// seed picks the same people everywhere.
uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, bound), bound > 0, by rejection (no modulo bias).
uint64_t UniformBelow(uint64_t bound, uint64_t* state) {
  const uint64_t limit =
      std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % bound;
  uint64_t x;
  do {
    x = SplitMix64(state);
  } while (x >= limit);
  return x % bound;
}

}  // namespace

StatusOr<std::vector<int>> ChooseDistinct(int candidates, int count, uint64_t seed) {
  if (count < 0 || count > candidates) {
    return Status::InvalidArgument("cannot choose " + std::to_string(count) + " of " +
                                   std::to_string(candidates));
  }
  std::vector<int> order(static_cast<size_t>(candidates));
  for (int i = 0; i < candidates; ++i) order[i] = i;
  uint64_t state = seed;
  for (int i = 0; i < count; ++i) {
    const int j = i + static_cast<int>(UniformBelow(static_cast<uint64_t>(candidates - i), &state));
    std::swap(order[i], order[j]);
  }
  order.resize(static_cast<size_t>(count));
  std::sort(order.begin(), order.end());
  return order;
}

StatusOr<FalseMatchCounts> CountFalseMatches(const LabelledVectors& gallery,
                                             const std::vector<float>& probes,
                                             const std::vector<float>& cosine_thresholds,
                                             const std::vector<ProbeGalleryPair>& same_person) {
  std::vector<ProbeGalleryPair> skip = same_person;
  std::sort(skip.begin(), skip.end());
  const size_t dim = gallery.dimension;
  const size_t rows = gallery.group.size();
  if (dim == 0 || gallery.values.size() != rows * dim || probes.size() % dim != 0) {
    return Status::InvalidArgument("gallery of " + std::to_string(gallery.values.size()) +
                                   " values for " + std::to_string(rows) + " rows, probes of " +
                                   std::to_string(probes.size()) + " values, dimension " +
                                   std::to_string(dim));
  }
  if (gallery.groups <= 0) return Status::InvalidArgument("gallery: no groups");
  FalseMatchCounts counts;
  counts.gallery_faces = static_cast<int>(rows);
  counts.gallery_by_group.assign(static_cast<size_t>(gallery.groups), 0);
  for (int g : gallery.group) {
    if (g < 0 || g >= gallery.groups) {
      return Status::InvalidArgument("gallery: group " + std::to_string(g) + " outside [0, " +
                                     std::to_string(gallery.groups) + ")");
    }
    ++counts.gallery_by_group[g];
  }
  const size_t thresholds = cosine_thresholds.size();
  const size_t groups = static_cast<size_t>(gallery.groups);
  counts.probes = static_cast<int>(probes.size() / dim);
  counts.probes_with_match.assign(thresholds, 0);
  counts.false_matches.assign(thresholds, 0);
  counts.false_matches_by_group.assign(thresholds, std::vector<long long>(groups, 0));
  counts.probes_by_group.assign(thresholds, std::vector<int>(groups, 0));
  counts.matches_by_probe.assign(thresholds,
                                 std::vector<std::vector<int>>(static_cast<size_t>(counts.probes),
                                                               std::vector<int>(groups, 0)));
  counts.best_match.assign(static_cast<size_t>(counts.probes), BestMatch{});

  const index::ScoreRowsF32Fn score_rows = index::BestKernels().score_rows_f32;
  std::vector<float> scores(rows);
  std::vector<long long> probe_matches(thresholds * groups);  // [threshold][group], this probe
  for (int p = 0; p < counts.probes; ++p) {
    score_rows(gallery.values.data(), rows, dim, probes.data() + static_cast<size_t>(p) * dim,
               scores.data());
    std::fill(probe_matches.begin(), probe_matches.end(), 0);
    BestMatch& best = counts.best_match[p];
    for (size_t j = 0; j < rows; ++j) {
      if (std::binary_search(skip.begin(), skip.end(), ProbeGalleryPair{p, static_cast<int>(j)})) {
        continue;
      }
      if (scores[j] > best.cosine) best = {static_cast<int>(j), scores[j]};
      for (size_t t = 0; t < thresholds; ++t) {
        probe_matches[t * groups + gallery.group[j]] += scores[j] >= cosine_thresholds[t];
      }
    }
    for (size_t t = 0; t < thresholds; ++t) {
      long long matches = 0;
      for (size_t g = 0; g < groups; ++g) {
        const long long m = probe_matches[t * groups + g];
        matches += m;
        counts.false_matches_by_group[t][g] += m;
        counts.probes_by_group[t][g] += m > 0;
        counts.matches_by_probe[t][p][g] = static_cast<int>(m);
      }
      counts.false_matches[t] += matches;
      counts.probes_with_match[t] += matches > 0;
    }
  }
  return counts;
}

long long FalseMatchCounts::MatchesOfProbe(size_t threshold, int probe) const {
  long long matches = 0;
  for (int m : matches_by_probe[threshold][probe]) matches += m;
  return matches;
}

std::optional<double> RepresentationRatio(double group_false_matches, double false_matches,
                                          int group_faces, int gallery_faces) {
  if (false_matches <= 0 || group_faces <= 0 || gallery_faces <= 0) return std::nullopt;
  const double share_of_gallery = static_cast<double>(group_faces) / gallery_faces;
  return group_false_matches / false_matches / share_of_gallery;
}

std::vector<double> PersonWeightedFalseMatches(const FalseMatchCounts& counts, size_t threshold) {
  std::vector<double> weighted(counts.gallery_by_group.size(), 0.0);
  for (int p = 0; p < counts.probes; ++p) {
    const long long matches = counts.MatchesOfProbe(threshold, p);
    if (matches == 0) continue;
    const std::vector<int>& by_group = counts.matches_by_probe[threshold][p];
    for (size_t g = 0; g < weighted.size(); ++g) {
      weighted[g] += static_cast<double>(by_group[g]) / static_cast<double>(matches);
    }
  }
  return weighted;
}

StatusOr<NewsExperimentReport> RunNewsExperiment(Engine& engine, const std::string& data_dir,
                                                 const EmbedRunOptions& embed_options,
                                                 const NewsExperimentOptions& options) {
  namespace fs = std::filesystem;
  if (options.people < 1) return Status::InvalidArgument("--people must be at least 1");
  NewsExperimentReport report;
  report.seed = options.seed;

  // Candidates: every LFW person (folders in name order) with a face found
  // in some photo, each with the first such photo.
  std::vector<int> identity;
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> lfw,
                          ListLfwImages(data_dir + "/lfw", &identity));
  EmbedRunOptions lfw_options = embed_options;
  lfw_options.progress_label = "lfw";
  CANDOR_ASSIGN_OR_RETURN(std::vector<ImageEmbedding> lfw_embeddings,
                          EmbedImages(engine, lfw, lfw_options));
  std::vector<size_t> candidate_image;
  for (size_t i = 0; i < lfw.size(); ++i) {
    const bool new_person = i == 0 || identity[i] != identity[i - 1];
    report.lfw_people += new_person;
    const bool person_has_candidate =
        !candidate_image.empty() && identity[candidate_image.back()] == identity[i];
    if (lfw_embeddings[i].has_face && !person_has_candidate) candidate_image.push_back(i);
  }
  report.lfw_people_with_face = static_cast<int>(candidate_image.size());
  if (options.people > report.lfw_people_with_face) {
    return Status::InvalidArgument("--people " + std::to_string(options.people) + ": only " +
                                   std::to_string(report.lfw_people_with_face) +
                                   " LFW people have a face found");
  }
  CANDOR_ASSIGN_OR_RETURN(std::vector<int> chosen, ChooseDistinct(report.lfw_people_with_face,
                                                                  options.people, options.seed));

  // The gallery: every UTKFace face found.
  CANDOR_ASSIGN_OR_RETURN(UtkFaceEmbeddings utk, EmbedUtkFace(engine, data_dir, embed_options));
  LabelledVectors gallery;
  gallery.groups = kUtkFaceGroups + 1;  // the last: names that do not parse
  report.utkface_images = static_cast<int>(utk.paths.size());
  for (size_t i = 0; i < utk.paths.size(); ++i) {
    if (!utk.embeddings[i].has_face) {
      ++report.utkface_without_face;
      continue;
    }
    const std::vector<float>& e = utk.embeddings[i].embedding;
    if (gallery.dimension == 0) gallery.dimension = e.size();
    if (e.size() != gallery.dimension) return Status::Internal("embeddings of different lengths");
    gallery.values.insert(gallery.values.end(), e.begin(), e.end());
    gallery.group.push_back(utk.group[i]);
    report.gallery_faces.push_back(fs::path(utk.paths[i]).filename().string());
  }
  if (gallery.group.empty()) return Status::NotFound("no UTKFace face found in " + data_dir);

  std::vector<float> probes;
  for (int c : chosen) {
    const ImageEmbedding& e = lfw_embeddings[candidate_image[c]];
    if (e.embedding.size() != gallery.dimension) {
      return Status::Internal("LFW and UTKFace embeddings of different lengths");
    }
    probes.insert(probes.end(), e.embedding.begin(), e.embedding.end());
    report.probes.push_back(fs::path(lfw[candidate_image[c]]).filename().string());
  }

  const Calibration& calibration = engine.calibration();
  report.calibration_source = calibration.source();
  std::vector<float> cosines;
  const double pairs = static_cast<double>(options.people) * gallery.group.size();
  for (float s : options.similarities) {
    NewsThreshold t;
    t.similarity = s;
    t.cosine = calibration.CosineForSimilarity(s);
    t.calibrated_fmr = FalseMatchRateAt(s);
    t.expected_false_matches = t.calibrated_fmr * pairs;
    t.expected_probes_with_match =
        options.people *
        -std::expm1(static_cast<double>(gallery.group.size()) * std::log1p(-t.calibrated_fmr));
    report.thresholds.push_back(t);
    cosines.push_back(t.cosine);
  }

  // Same-person pairs among the chosen probes, by name.
  std::map<std::string, std::vector<const SamePersonPair*>> same_of_person;
  for (const SamePersonPair& s : options.same_person) same_of_person[s.lfw_person].push_back(&s);
  std::map<std::string, int> row_of_face;
  for (size_t r = 0; r < report.gallery_faces.size(); ++r) row_of_face[report.gallery_faces[r]] = static_cast<int>(r);
  std::vector<ProbeGalleryPair> skip;
  for (size_t p = 0; p < report.probes.size(); ++p) {
    const std::string& file = report.probes[p];
    auto it = same_of_person.find(file.substr(0, file.rfind('_')));
    if (it == same_of_person.end()) continue;
    for (const SamePersonPair* s : it->second) {
      auto row = row_of_face.find(s->utkface_file);
      if (row == row_of_face.end()) continue;  // not in this gallery (no face found)
      skip.push_back({static_cast<int>(p), row->second});
      const float* a = probes.data() + p * gallery.dimension;
      const float* b = gallery.values.data() + static_cast<size_t>(row->second) * gallery.dimension;
      double dot = 0;
      for (size_t d = 0; d < gallery.dimension; ++d) dot += double{a[d]} * b[d];
      report.removed.push_back({file, s->utkface_file, static_cast<float>(dot), s->note});
    }
  }
  CANDOR_ASSIGN_OR_RETURN(report.counts, CountFalseMatches(gallery, probes, cosines, skip));
  return report;
}

StatusOr<std::vector<SamePersonPair>> ReadSamePersonPairs(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("no same-person pairs at " + path);
  std::vector<SamePersonPair> pairs;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    SamePersonPair pair;
    if (!std::getline(fields, pair.lfw_person, '\t') || !std::getline(fields, pair.utkface_file, '\t') ||
        pair.lfw_person.empty() || pair.utkface_file.empty()) {
      return Status::InvalidArgument(path + ":" + std::to_string(number) +
                                     ": expected 'LFW person<TAB>UTKFace file<TAB>note'");
    }
    std::getline(fields, pair.note);
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

}  // namespace candor::eval
