#include "eval/score_normalisation.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>

#include "core/parallel.h"
#include "eval/utkface.h"
#include "index/dot_product.h"

namespace candor::eval {
namespace {

float Dot(const float* a, const float* b, size_t n) {
  static const bool avx2 = index::CpuSupportsAvx2Fma();
  return avx2 ? index::DotProductAvx2Fma(a, b, n) : index::DotProductPortable(a, b, n);
}

double Ratio(const std::vector<double>& rates) {
  if (rates.empty()) return 0;
  const auto [lo, hi] = std::minmax_element(rates.begin(), rates.end());
  if (*hi == 0) return 0;
  if (*lo == 0) return std::numeric_limits<double>::infinity();
  return *hi / *lo;
}

}  // namespace

float CohortMean(const float* query, const std::vector<float>& cohort, size_t dimension, size_t k,
                 size_t skip_row) {
  const size_t rows = dimension == 0 ? 0 : cohort.size() / dimension;
  std::vector<float> scores;
  scores.reserve(rows);
  for (size_t r = 0; r < rows; ++r) {
    if (r != skip_row) scores.push_back(Dot(query, cohort.data() + r * dimension, dimension));
  }
  k = std::min(k, scores.size());
  if (k == 0) return 0;
  std::nth_element(scores.begin(), scores.begin() + static_cast<long>(k - 1), scores.end(),
                   std::greater<float>());
  double sum = 0;
  for (size_t i = 0; i < k; ++i) sum += scores[i];
  return static_cast<float>(sum / k);
}

StatusOr<NormalisationReport> EvaluateCohortNormalisation(Engine& engine,
                                                          const std::string& data_dir,
                                                          const EmbedRunOptions& lfw_run,
                                                          const EmbedRunOptions& utkface_run,
                                                          const NormalisationOptions& options) {
  namespace fs = std::filesystem;
  std::vector<int> identity;
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> lfw_paths,
                          ListLfwImages(data_dir + "/lfw", &identity));
  CANDOR_ASSIGN_OR_RETURN(std::vector<ImageEmbedding> lfw, EmbedImages(engine, lfw_paths, lfw_run));
  std::vector<float> cohort;
  size_t dimension = 0;
  for (const ImageEmbedding& e : lfw) {
    if (!e.has_face) continue;
    dimension = e.embedding.size();
    cohort.insert(cohort.end(), e.embedding.begin(), e.embedding.end());
  }
  if (dimension == 0) return Status::NotFound("no LFW faces for the cohort");

  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> utk_paths, ListUtkFaceImages(data_dir));
  std::vector<std::string> kept;
  std::vector<int> group_of;
  for (const std::string& path : utk_paths) {
    const std::optional<UtkFaceLabel> label = ParseUtkFaceFileName(fs::path(path).filename().string());
    if (!label || label->age < options.min_age) continue;
    kept.push_back(path);
    group_of.push_back(UtkFaceGroupIndex(*label));
  }
  CANDOR_ASSIGN_OR_RETURN(std::vector<ImageEmbedding> utk, EmbedImages(engine, kept, utkface_run));
  std::vector<std::vector<size_t>> members(kUtkFaceGroups);
  const bool held_out = options.gallery_cohort && options.held_out;
  for (size_t i = 0; i < utk.size(); ++i) {
    if (held_out && i % 2 == 0) continue;  // cohort only
    if (utk[i].has_face && utk[i].embedding.size() == dimension) members[group_of[i]].push_back(i);
  }
  std::vector<size_t> cohort_row(utk.size(), static_cast<size_t>(-1));
  if (options.gallery_cohort) {
    cohort.clear();
    for (size_t i = 0; i < utk.size(); ++i) {
      if (!utk[i].has_face || utk[i].embedding.size() != dimension) continue;
      if (held_out && i % 2 == 1) continue;  // measured, not in the cohort
      cohort_row[i] = cohort.size() / dimension;
      cohort.insert(cohort.end(), utk[i].embedding.begin(), utk[i].embedding.end());
    }
  }
  std::vector<float> mu(utk.size(), 0.f);
  core::ParallelFor(utk.size(), options.threads, [&](size_t i) {
    if (utk[i].has_face && utk[i].embedding.size() == dimension)
      mu[i] = CohortMean(utk[i].embedding.data(), cohort, dimension, static_cast<size_t>(options.k),
                         cohort_row[i]);
  });

  // Within-group pairs: raw and normalised scores, per group.
  std::vector<std::vector<float>> raw(kUtkFaceGroups), normalised(kUtkFaceGroups);
  core::ParallelFor(kUtkFaceGroups, options.threads, [&](size_t g) {
    const std::vector<size_t>& m = members[g];
    for (size_t a = 0; a < m.size(); ++a) {
      for (size_t b = a + 1; b < m.size(); ++b) {
        const float s = Dot(utk[m[a]].embedding.data(), utk[m[b]].embedding.data(), dimension);
        if (s > options.duplicate_cosine) continue;
        raw[g].push_back(s);
        normalised[g].push_back(s - 0.5f * (mu[m[a]] + mu[m[b]]));
      }
    }
  });
  std::vector<float> pooled_normalised;
  NormalisationReport report;
  report.cohort_faces = static_cast<int>(cohort.size() / dimension);
  report.k = options.k;
  report.gallery_cohort = options.gallery_cohort;
  report.held_out = held_out;
  report.min_age = options.min_age;
  for (int g = 0; g < kUtkFaceGroups; ++g) {
    pooled_normalised.insert(pooled_normalised.end(), normalised[g].begin(), normalised[g].end());
    report.pairs += static_cast<long long>(raw[g].size());
  }
  std::sort(pooled_normalised.begin(), pooled_normalised.end(), std::greater<float>());
  for (float similarity : options.similarities) {
    NormalisationAtThreshold at;
    at.similarity = similarity;
    at.raw_cosine = engine.calibration().CosineForSimilarity(similarity);
    for (int g = 0; g < kUtkFaceGroups; ++g) {
      for (float s : raw[g]) at.pooled_raw += s >= at.raw_cosine;
    }
    // The normalised threshold accepting as many pooled pairs.
    if (at.pooled_raw == 0) {
      at.normalised_threshold = pooled_normalised.empty() ? 0 : std::nextafter(pooled_normalised[0], 10.f);
    } else {
      at.normalised_threshold = pooled_normalised[static_cast<size_t>(at.pooled_raw - 1)];
    }
    std::vector<double> raw_rates, normalised_rates;
    for (int g = 0; g < kUtkFaceGroups; ++g) {
      NormalisedGroupRates r;
      r.group = UtkFaceGroupName(g);
      r.pairs = static_cast<long long>(raw[g].size());
      for (float s : raw[g]) r.raw_false_matches += s >= at.raw_cosine;
      for (float s : normalised[g]) r.normalised_false_matches += s >= at.normalised_threshold;
      double sum = 0;
      for (size_t i : members[g]) sum += mu[i];
      r.mean_cohort_score = members[g].empty() ? 0 : sum / members[g].size();
      at.pooled_normalised += r.normalised_false_matches;
      if (r.pairs > 0) {
        raw_rates.push_back(static_cast<double>(r.raw_false_matches) / r.pairs);
        normalised_rates.push_back(static_cast<double>(r.normalised_false_matches) / r.pairs);
      }
      at.groups.push_back(r);
    }
    at.raw_ratio = Ratio(raw_rates);
    at.normalised_ratio = Ratio(normalised_rates);
    report.thresholds.push_back(std::move(at));
  }
  return report;
}

}  // namespace candor::eval
