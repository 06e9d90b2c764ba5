#include "eval/demographics.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>

#include "eval/utkface.h"
#include "index/dot_product.h"

namespace candor::eval {
namespace {

// P(X <= k) for X ~ Binomial(n, p), summing the shorter tail in log space
// (O(min(k, n - k)) terms; the counts here are small at every threshold).
double BinomialCdf(long long k, long long n, double p) {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const double log_p = std::log(p), log_q = std::log1p(-p);
  const double log_n_factorial = std::lgamma(n + 1.0);
  const auto pmf = [&](long long i) {
    return std::exp(log_n_factorial - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) + i * log_p +
                    (n - i) * log_q);
  };
  double sum = 0;
  if (k <= n / 2) {
    for (long long i = 0; i <= k; ++i) sum += pmf(i);
  } else {
    for (long long i = k + 1; i <= n; ++i) sum += pmf(i);
    sum = 1 - sum;
  }
  return std::clamp(sum, 0.0, 1.0);
}

// Bisection for the p in [lo, hi] where `above(p)` turns from true to false;
// stops at a relative width of 1e-9. Returns {last true, first false}.
template <typename Predicate>
std::pair<double, double> Bisect(double lo, double hi, Predicate above) {
  for (int i = 0; i < 200 && hi - lo > 1e-9 * hi; ++i) {
    const double mid = lo + (hi - lo) / 2;
    (above(mid) ? lo : hi) = mid;
  }
  return {lo, hi};
}

}  // namespace

ProportionInterval ClopperPearson(long long successes, long long trials, double confidence) {
  ProportionInterval interval;
  if (trials <= 0) return interval;
  const long long k = std::clamp(successes, 0LL, trials);
  const double tail = (1 - confidence) / 2;
  const double estimate = static_cast<double>(k) / trials;
  // Lower: the p with P(X >= k) = tail; P(X >= k) grows with p. Each bound
  // is taken on its conservative side of the bisection.
  if (k > 0) {
    interval.lower = Bisect(0, estimate, [&](double p) {
                       return 1 - BinomialCdf(k - 1, trials, p) < tail;
                     }).first;
  }
  // Upper: the p with P(X <= k) = tail; P(X <= k) falls as p grows.
  if (k < trials) {
    interval.upper =
        Bisect(estimate, 1, [&](double p) { return BinomialCdf(k, trials, p) > tail; }).second;
  }
  return interval;
}

double PairCell::Rate(size_t t) const {
  return pairs > 0 ? static_cast<double>(false_matches[t]) / static_cast<double>(pairs) : 0.0;
}

PairCounts::PairCounts(int groups, size_t thresholds)
    : groups_(groups),
      thresholds_(thresholds),
      cells_(static_cast<size_t>(groups) * (groups + 1) / 2,
             PairCell{0, 0, std::vector<long long>(thresholds, 0)}) {}

size_t PairCounts::Index(int a, int b) const {
  if (a > b) std::swap(a, b);
  // Rows 0..a-1 of the upper triangle hold groups_ + (groups_ - 1) + ... cells.
  return static_cast<size_t>(a) * groups_ - static_cast<size_t>(a) * (a - 1) / 2 + (b - a);
}

namespace {

void AddCell(const PairCell& from, PairCell* to) {
  to->pairs += from.pairs;
  to->likely_duplicates += from.likely_duplicates;
  for (size_t t = 0; t < from.false_matches.size(); ++t)
    to->false_matches[t] += from.false_matches[t];
}

}  // namespace

void PairCounts::Add(const PairCounts& other) {
  for (size_t i = 0; i < cells_.size(); ++i) AddCell(other.cells_[i], &cells_[i]);
}

PairCell PairCounts::Total() const {
  PairCell total{0, 0, std::vector<long long>(thresholds_, 0)};
  for (const PairCell& c : cells_) AddCell(c, &total);
  return total;
}

PairCell PairCounts::WithinGroups() const {
  PairCell total{0, 0, std::vector<long long>(thresholds_, 0)};
  for (int g = 0; g < groups_; ++g) AddCell(cell(g, g), &total);
  return total;
}

PairCell PairCounts::AcrossGroups() const {
  PairCell total = Total();
  const PairCell within = WithinGroups();
  total.pairs -= within.pairs;
  total.likely_duplicates -= within.likely_duplicates;
  for (size_t t = 0; t < thresholds_; ++t) total.false_matches[t] -= within.false_matches[t];
  return total;
}

StatusOr<PairCountResult> CountImpostorPairs(const LabelledVectors& vectors,
                                             const PairCountOptions& options) {
  const size_t rows = vectors.group.size();
  const size_t dim = vectors.dimension;
  if (dim == 0 || vectors.values.size() != rows * dim) {
    return Status::InvalidArgument("vectors: " + std::to_string(vectors.values.size()) +
                                   " values for " + std::to_string(rows) + " rows of dimension " +
                                   std::to_string(dim));
  }
  if (vectors.groups <= 0) return Status::InvalidArgument("vectors: no groups");
  for (int g : vectors.group) {
    if (g < 0 || g >= vectors.groups) {
      return Status::InvalidArgument("vectors: group " + std::to_string(g) + " outside [0, " +
                                     std::to_string(vectors.groups) + ")");
    }
  }
  const std::vector<float>& thresholds = options.cosine_thresholds;
  const index::ScoreRowsF32Fn score_rows = index::BestKernels().score_rows_f32;

  // Cache blocking: a block of query rows against a tile of later rows small
  // enough to stay in L2 (128 rows of 512 floats: 256 KiB), then the next tile.
  constexpr size_t kQueryBlock = 32;
  constexpr size_t kTileRows = 128;
  const size_t blocks = (rows + kQueryBlock - 1) / kQueryBlock;
  std::atomic<size_t> next_block{0};
  std::mutex merge_mutex;
  PairCountResult result{PairCounts(vectors.groups, thresholds.size()), {}};
  std::vector<ScoredPairIndex> duplicates;

  const auto work = [&] {
    PairCounts local(vectors.groups, thresholds.size());
    std::vector<ScoredPairIndex> local_duplicates;
    std::vector<float> scores(kTileRows);
    std::vector<PairCell*> cells_of(vectors.groups);
    for (size_t block = next_block++; block < blocks; block = next_block++) {
      const size_t first = block * kQueryBlock, last = std::min(rows, first + kQueryBlock);
      for (size_t tile = first + 1; tile < rows; tile += kTileRows) {
        const size_t tile_end = std::min(rows, tile + kTileRows);
        for (size_t i = first; i < last && i + 1 < tile_end; ++i) {
          const size_t begin = std::max(tile, i + 1);
          score_rows(vectors.values.data() + begin * dim, tile_end - begin, dim,
                     vectors.values.data() + i * dim, scores.data());
          for (int g = 0; g < vectors.groups; ++g) cells_of[g] = &local.cell(vectors.group[i], g);
          for (size_t j = begin; j < tile_end; ++j) {
            const float cosine = scores[j - begin];
            PairCell& cell = *cells_of[vectors.group[j]];
            if (cosine > options.duplicate_cosine) {
              ++cell.likely_duplicates;
              local_duplicates.push_back({i, j, cosine});
              continue;
            }
            ++cell.pairs;
            for (size_t t = 0; t < thresholds.size(); ++t)
              cell.false_matches[t] += cosine >= thresholds[t];
          }
        }
      }
    }
    std::lock_guard<std::mutex> lock(merge_mutex);
    result.counts.Add(local);
    duplicates.insert(duplicates.end(), local_duplicates.begin(), local_duplicates.end());
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, options.threads); ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();

  std::sort(duplicates.begin(), duplicates.end(),
            [](const ScoredPairIndex& a, const ScoredPairIndex& b) {
              return a.first != b.first ? a.first < b.first : a.second < b.second;
            });
  if (duplicates.size() > options.max_listed_duplicates)
    duplicates.resize(options.max_listed_duplicates);
  result.duplicates = std::move(duplicates);
  return result;
}

GroupRateRatio CompareWithinGroupRates(const PairCounts& counts, size_t threshold_index,
                                       double confidence) {
  GroupRateRatio out;
  for (int g = 0; g < counts.groups(); ++g) {
    const PairCell& c = counts.cell(g, g);
    if (c.pairs == 0) continue;
    const double rate = c.Rate(threshold_index);
    if (out.worst_group < 0 ||
        rate > counts.cell(out.worst_group, out.worst_group).Rate(threshold_index)) {
      out.worst_group = g;
    }
    if (out.best_group < 0 ||
        rate < counts.cell(out.best_group, out.best_group).Rate(threshold_index)) {
      out.best_group = g;
    }
  }
  if (out.worst_group < 0) return out;
  const PairCell& worst = counts.cell(out.worst_group, out.worst_group);
  const PairCell& best = counts.cell(out.best_group, out.best_group);
  out.worst_interval =
      ClopperPearson(worst.false_matches[threshold_index], worst.pairs, confidence);
  out.best_interval = ClopperPearson(best.false_matches[threshold_index], best.pairs, confidence);
  const double worst_rate = worst.Rate(threshold_index), best_rate = best.Rate(threshold_index);
  if (best_rate > 0) {
    out.ratio = worst_rate / best_rate;
  } else if (worst_rate > 0) {
    out.ratio = std::numeric_limits<double>::infinity();
  }
  out.ratio_lower_bound = out.worst_interval.lower / out.best_interval.upper;
  return out;
}

StatusOr<DemographicsReport> EvaluateDemographics(Engine& engine, const std::string& data_dir,
                                                  const EmbedRunOptions& embed_options,
                                                  const DemographicsOptions& options) {
  namespace fs = std::filesystem;
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> paths, ListUtkFaceImages(data_dir));
  if (paths.empty()) return Status::NotFound("no images in " + data_dir + "/utkface/images");

  DemographicsReport report;
  report.images = static_cast<int>(paths.size());
  report.min_age = options.min_age;
  report.images_by_group.assign(kUtkFaceGroups, 0);
  report.without_face_by_group.assign(kUtkFaceGroups, 0);
  std::vector<std::string> labelled;
  std::vector<int> group_of;
  for (const std::string& path : paths) {
    const std::optional<UtkFaceLabel> label =
        ParseUtkFaceFileName(fs::path(path).filename().string());
    if (!label) {
      ++report.images_unlabelled;
      continue;
    }
    if (label->age < options.min_age) {
      ++report.images_below_min_age;
      continue;
    }
    labelled.push_back(path);
    group_of.push_back(UtkFaceGroupIndex(*label));
    ++report.images_by_group[group_of.back()];
  }

  const Calibration& calibration = engine.calibration();
  report.calibration_source = calibration.source();
  PairCountOptions count_options;
  for (float s : options.similarities) {
    const float cosine = calibration.CosineForSimilarity(s);
    report.thresholds.push_back({s, cosine, FalseMatchRateAt(s)});
    count_options.cosine_thresholds.push_back(cosine);
  }
  count_options.duplicate_cosine = options.duplicate_cosine;
  count_options.threads = options.count_threads;

  EmbedRunOptions run = embed_options;
  run.progress_label = "utkface";
  CANDOR_ASSIGN_OR_RETURN(std::vector<ImageEmbedding> embeddings,
                          EmbedImages(engine, labelled, run));
  LabelledVectors vectors;
  vectors.groups = kUtkFaceGroups;
  std::vector<size_t> image_of_row;
  for (size_t i = 0; i < embeddings.size(); ++i) {
    if (!embeddings[i].has_face) {
      ++report.without_face_by_group[group_of[i]];
      continue;
    }
    if (vectors.dimension == 0) vectors.dimension = embeddings[i].embedding.size();
    if (embeddings[i].embedding.size() != vectors.dimension) {
      return Status::Internal("embeddings of different lengths in " + labelled[i]);
    }
    vectors.values.insert(vectors.values.end(), embeddings[i].embedding.begin(),
                          embeddings[i].embedding.end());
    vectors.group.push_back(group_of[i]);
    image_of_row.push_back(i);
  }
  if (vectors.group.size() < 2) return Status::NotFound("fewer than two UTKFace faces found");

  CANDOR_ASSIGN_OR_RETURN(PairCountResult counted, CountImpostorPairs(vectors, count_options));
  report.counts = std::move(counted.counts);
  for (const ScoredPairIndex& d : counted.duplicates) {
    report.duplicates.push_back({fs::path(labelled[image_of_row[d.first]]).filename().string(),
                                 fs::path(labelled[image_of_row[d.second]]).filename().string(),
                                 d.cosine});
  }
  return report;
}

}  // namespace candor::eval
