// candor eval lfw / calibrate / identify / news / demographics (attributes, detect and
// report: eval_report_command.cc).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "embed/embedder.h"
#include "eval/demographics.h"
#include "eval/identify.h"
#include "eval/lfw.h"
#include "eval/metrics.h"
#include "eval/news_experiment.h"
#include "eval/utkface.h"

namespace candor::cli {
namespace {

struct EvalArgs {
  std::string data;
  std::string cache;
  bool no_cache = false;
  bool json = false;
  bool flip = false;
  bool refine = false;
  std::string out;
  float duplicate_cosine = 0.9f;  // demographics: likely the same person above this
  int min_age = 0;                // demographics: leave out younger faces
  int people = eval::kNewsExperimentPeople;  // news: LFW people searched
  uint64_t seed = 1;                         // news: which of them
  std::string same_person_file;              // news: pairs of one person ("none": keep all)
  bool list_removed = false;                 // news: list them
};

std::string CachePath(const EvalArgs& args, const std::string& name) {
  if (args.no_cache) return "";
  if (!args.cache.empty()) return args.cache;
  return std::string(CANDOR_SOURCE_DIR) + "/build/cache/" + name + ".emb";
}

// Verification needs raw cosines only (`calibrated` false); the 1:N and
// demographic runs use the shipped calibration, so thresholds are Similarity.
EngineOptions EvalEngineOptions(const EvalArgs& args, bool calibrated = false) {
  EngineOptions options;
  if (!calibrated) options.calibration_path = "none";
  options.flip_average = args.flip;
  options.refine_landmarks = args.refine;
  return options;
}

// Embedding runs on the global workers with the cache of `cache_name`.
eval::EmbedRunOptions EvalRunOptions(const GlobalOptions& global, const EvalArgs& args,
                                     const std::string& cache_name) {
  eval::EmbedRunOptions run;
  run.threads = global.workers;
  run.cache_path = CachePath(args, cache_name);
  return run;
}

int RunEvalLfw(const GlobalOptions& global, const EvalArgs& args) {
  const std::string root = DataDir(args.data) + "/lfw";
  auto engine = MakeEngine(global, EvalEngineOptions(args));
  if (!engine.ok()) return Fail(engine.status());
  eval::EmbedRunOptions run = EvalRunOptions(global, args, "lfw");
  run.progress_label = "lfw";
  auto result = eval::EvaluateLfw(**engine, root, run);
  if (!result.ok()) return Fail(result.status());
  const eval::LfwEvaluation& e = *result;
  if (args.json) {
    nlohmann::json folds = nlohmann::json::array();
    for (const auto& f : e.report.folds) folds.push_back({{"threshold", f.threshold}, {"accuracy", f.accuracy}});
    nlohmann::json j = {{"dataset", root},
                        {"protocol", "LFW 10-fold, threshold chosen on 9 folds"},
                        {"face_model_version", (*engine)->face_model_version()},
                        {"pairs", e.pairs},
                        {"images", e.images},
                        {"images_without_face", e.images_without_face},
                        {"mean_accuracy", e.report.mean_accuracy},
                        {"std_accuracy", e.report.std_accuracy},
                        {"eer", e.report.eer},
                        {"eer_threshold", e.report.eer_threshold},
                        {"tar_at_far_1e-2", e.tar_at_far_1e2},
                        {"tar_at_far_1e-3", e.tar_at_far_1e3},
                        {"folds", folds}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("LFW 10-fold (%d pairs, %d images, %d without a face found)\n", e.pairs, e.images,
                e.images_without_face);
    std::printf("  accuracy      %.2f%% +- %.2f\n", 100 * e.report.mean_accuracy,
                100 * e.report.std_accuracy);
    std::printf("  EER           %.2f%% (cosine %.3f)\n", 100 * e.report.eer, e.report.eer_threshold);
    std::printf("  TAR@FAR=1e-2  %.2f%%\n", 100 * e.tar_at_far_1e2);
    std::printf("  TAR@FAR=1e-3  %.2f%%\n", 100 * e.tar_at_far_1e3);
    std::printf("  face found in %.2f%% of images\n",
                100.0 * (e.images - e.images_without_face) / std::max(1, e.images));
  }
  return 0;
}

int RunEvalIdentify(const GlobalOptions& global, const EvalArgs& args) {
  auto engine = MakeEngine(global, EvalEngineOptions(args, /*calibrated=*/true));
  if (!engine.ok()) return Fail(engine.status());
  eval::EmbedRunOptions run = EvalRunOptions(global, args, "lfw");
  auto result = eval::EvaluateIdentification(**engine, DataDir(args.data), run);
  if (!result.ok()) return Fail(result.status());
  const eval::IdentifyReport& r = *result;
  if (args.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : r.rows) {
      rows.push_back({{"similarity", row.similarity},
                      {"expected_false_match_rate", row.expected_fmr},
                      {"mated_hits", row.mated_hits},
                      {"non_mated_with_match", row.non_mated_with_match},
                      {"false_matches", row.false_matches},
                      {"false_matches_by_group", row.false_matches_by_group}});
    }
    nlohmann::json j = {{"gallery_size", r.gallery_size}, {"gallery_lfw", r.gallery_lfw},
                        {"gallery_utkface", r.gallery_utkface}, {"gallery_by_group", r.gallery_by_group},
                        {"mated_probes", r.mated_probes}, {"non_mated_probes", r.non_mated_probes},
                        {"rank1", r.rank1}, {"rank5", r.rank5}, {"thresholds", rows}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("gallery: %d faces (%d LFW people, %d UTKFace distractors)\n", r.gallery_size,
              r.gallery_lfw, r.gallery_utkface);
  std::printf("mated probes: %d   rank-1 %.2f%%   rank-5 %.2f%%\n", r.mated_probes,
              100.0 * r.rank1 / std::max(1, r.mated_probes), 100.0 * r.rank5 / std::max(1, r.mated_probes));
  std::printf("non-mated probes: %d (people not in the gallery)\n\n", r.non_mated_probes);
  std::printf("%10s %12s %14s %16s %14s %16s\n", "Similarity", "FMR/compare", "mated found",
              "non-mated w/ hit", "false matches", "expected");
  for (const auto& row : r.rows) {
    std::printf("%10.0f %12.0e %13.2f%% %15.2f%% %14d %16.1f\n", row.similarity, row.expected_fmr,
                100.0 * row.mated_hits / std::max(1, r.mated_probes),
                100.0 * row.non_mated_with_match / std::max(1, r.non_mated_probes), row.false_matches,
                row.expected_fmr * r.non_mated_probes * r.gallery_size);
  }
  std::printf("\nfalse matches on UTKFace gallery faces by group (gallery share in brackets):\n");
  for (const auto& row : r.rows) {
    std::printf("  Similarity %.0f:", row.similarity);
    for (const auto& [group, count] : r.gallery_by_group) {
      const auto it = row.false_matches_by_group.find(group);
      std::printf("  %s %d (%.0f%%)", group.c_str(), it == row.false_matches_by_group.end() ? 0 : it->second,
                  100.0 * count / std::max(1, r.gallery_utkface));
    }
    std::printf("\n");
  }
  return 0;
}

// A ratio such as "2.31", or "-" when there is nothing to compare.
std::string FormatRatio(const std::optional<double>& ratio) {
  if (!ratio) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", *ratio);
  return text;
}

// UTKFace groups present in the gallery ("unknown" only if a name does not parse).
std::vector<int> NewsGalleryGroups(const eval::FalseMatchCounts& c) {
  std::vector<int> groups;
  for (int g = 0; g < static_cast<int>(c.gallery_by_group.size()); ++g) {
    if (c.gallery_by_group[g] > 0) groups.push_back(g);
  }
  return groups;
}

// Per group at threshold t: the representation ratio of the false matches,
// and of the false matches with each falsely matched person counted once.
struct NewsGroupRatios {
  std::optional<double> by_match;
  std::optional<double> by_person;
  double person_weighted = 0;
};
std::vector<NewsGroupRatios> NewsRatios(const eval::FalseMatchCounts& c, size_t t) {
  const std::vector<double> weighted = eval::PersonWeightedFalseMatches(c, t);
  std::vector<NewsGroupRatios> ratios(c.gallery_by_group.size());
  for (size_t g = 0; g < ratios.size(); ++g) {
    ratios[g].by_match = eval::RepresentationRatio(
        static_cast<double>(c.false_matches_by_group[t][g]),
        static_cast<double>(c.false_matches[t]), c.gallery_by_group[g], c.gallery_faces);
    ratios[g].by_person = eval::RepresentationRatio(weighted[g], c.probes_with_match[t],
                                                    c.gallery_by_group[g], c.gallery_faces);
    ratios[g].person_weighted = weighted[g];
  }
  return ratios;
}

nlohmann::json RemovedJson(const eval::NewsExperimentReport& r) {
  nlohmann::json removed = nlohmann::json::array();
  for (const auto& p : r.removed) {
    removed.push_back({{"probe", p.probe}, {"utkface", p.gallery_face}, {"cosine", p.cosine},
                       {"note", p.note}});
  }
  return removed;
}

nlohmann::json NewsJson(const eval::NewsExperimentReport& r, const Engine& engine) {
  const eval::FalseMatchCounts& c = r.counts;
  const std::vector<int> groups = NewsGalleryGroups(c);
  const auto or_null = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  nlohmann::json gallery_groups = nlohmann::json::array(), thresholds = nlohmann::json::array(),
                 probes = nlohmann::json::array();
  for (int g : groups) {
    gallery_groups.push_back(
        {{"group", eval::UtkFaceGroupName(g)},
         {"faces", c.gallery_by_group[g]},
         {"share", static_cast<double>(c.gallery_by_group[g]) / c.gallery_faces}});
  }
  for (size_t t = 0; t < r.thresholds.size(); ++t) {
    nlohmann::json by_group = nlohmann::json::array();
    const std::vector<NewsGroupRatios> ratios = NewsRatios(c, t);
    for (int g : groups) {
      std::optional<double> share_of_matches;
      if (c.false_matches[t] > 0) {
        share_of_matches = static_cast<double>(c.false_matches_by_group[t][g]) / c.false_matches[t];
      }
      by_group.push_back(
          {{"group", eval::UtkFaceGroupName(g)},
           {"false_matches", c.false_matches_by_group[t][g]},
           {"share_of_false_matches", or_null(share_of_matches)},
           {"share_of_gallery", static_cast<double>(c.gallery_by_group[g]) / c.gallery_faces},
           {"representation_ratio", or_null(ratios[g].by_match)},
           {"people_with_a_false_match_here", c.probes_by_group[t][g]},
           {"person_weighted_false_matches", ratios[g].person_weighted},
           {"person_weighted_representation_ratio", or_null(ratios[g].by_person)}});
    }
    const eval::NewsThreshold& th = r.thresholds[t];
    thresholds.push_back({{"similarity", th.similarity},
                          {"cosine", th.cosine},
                          {"calibrated_false_match_rate", th.calibrated_fmr},
                          {"people_falsely_matched", c.probes_with_match[t]},
                          {"expected_people_falsely_matched", th.expected_probes_with_match},
                          {"false_matches", c.false_matches[t]},
                          {"expected_false_matches", th.expected_false_matches},
                          {"by_gallery_group", by_group}});
  }
  for (int p = 0; p < c.probes; ++p) {
    nlohmann::json matches = nlohmann::json::array(), by_group = nlohmann::json::array();
    for (size_t t = 0; t < r.thresholds.size(); ++t) {
      matches.push_back(c.MatchesOfProbe(t, p));
      nlohmann::json here = nlohmann::json::object();
      for (int g : groups) {
        if (c.matches_by_probe[t][p][g] > 0)
          here[eval::UtkFaceGroupName(g)] = c.matches_by_probe[t][p][g];
      }
      by_group.push_back(std::move(here));
    }
    const eval::BestMatch& best = c.best_match[p];
    probes.push_back({{"photo", r.probes[p]},
                      {"false_matches", matches},
                      {"false_matches_by_gallery_group", by_group},
                      {"best_match", r.gallery_faces[best.gallery_face]},
                      {"best_similarity", engine.calibration().Similarity(best.cosine)},
                      {"best_cosine", best.cosine}});
  }
  return {
      {"experiment", "one photo each of distinct LFW people searched against every UTKFace face"},
      {"removed_same_person", RemovedJson(r)},
      {"people", c.probes},
      {"seed", r.seed},
      {"lfw_people", r.lfw_people},
      {"lfw_people_with_face", r.lfw_people_with_face},
      {"calibration_source", r.calibration_source},
      {"face_model_version", engine.face_model_version()},
      {"utkface_images", r.utkface_images},
      {"utkface_without_face", r.utkface_without_face},
      {"gallery_faces", c.gallery_faces},
      {"gallery_by_group", gallery_groups},
      {"thresholds", thresholds},
      {"probes", probes}};
}

void PrintNews(const eval::NewsExperimentReport& r, const Engine& engine) {
  const eval::FalseMatchCounts& c = r.counts;
  std::printf(
      "%d LFW people (one photo each, seed %llu, of %d with a face found) searched against %d "
      "UTKFace faces\n(%d images, %d without a face found); every match counts as false "
      "(UTKFace holds some LFW people: see the end)\n  thresholds: %s\n",
      c.probes, static_cast<unsigned long long>(r.seed), r.lfw_people_with_face, c.gallery_faces,
      r.utkface_images, r.utkface_without_face, r.calibration_source.c_str());
  std::set<std::string> removed_people;
  for (const auto& p : r.removed) removed_people.insert(p.probe);
  std::printf("  left out as the same person (judged by eye, tools/eval/utkface_same_person.tsv): "
              "%zu pairs of %zu of these people%s\n\n",
              r.removed.size(), removed_people.size(),
              r.removed.empty() ? "" : " (--list-removed lists them)");
  std::printf("%10s %11s %22s %9s %14s %10s\n", "Similarity", "FMR/compare",
              "people falsely matched", "expected", "false matches", "expected");
  for (size_t t = 0; t < r.thresholds.size(); ++t) {
    const eval::NewsThreshold& th = r.thresholds[t];
    std::printf("%10.0f %11.0e %8d of %d (%5.1f%%) %9.1f %14lld %10.1f\n", th.similarity,
                th.calibrated_fmr, c.probes_with_match[t], c.probes,
                100.0 * c.probes_with_match[t] / std::max(1, c.probes),
                th.expected_probes_with_match, c.false_matches[t], th.expected_false_matches);
  }
  std::vector<std::vector<NewsGroupRatios>> ratios;
  for (size_t t = 0; t < r.thresholds.size(); ++t) ratios.push_back(NewsRatios(c, t));
  const auto print_groups = [&](const char* title, const char* count_name, auto count, auto ratio) {
    std::printf("\n%s\n  %-14s %6s %6s", title, "group", "faces", "share");
    for (const eval::NewsThreshold& th : r.thresholds)
      std::printf(" | S%-3.0f %7s %5s", th.similarity, count_name, "ratio");
    std::printf("\n");
    for (int g : NewsGalleryGroups(c)) {
      std::printf("  %-14s %6d %5.1f%%", eval::UtkFaceGroupName(g).c_str(), c.gallery_by_group[g],
                  100.0 * c.gallery_by_group[g] / std::max(1, c.gallery_faces));
      for (size_t t = 0; t < r.thresholds.size(); ++t) {
        std::printf(" | %4s %7lld %5s", "", static_cast<long long>(count(t, g)),
                    FormatRatio(ratio(t, g)).c_str());
      }
      std::printf("\n");
    }
  };
  print_groups(
      "Who in the gallery the false matches fall on: false matches, and the ratio of their share "
      "to "
      "the group's\nshare of the gallery (1.00: as often as its size predicts)",
      "matches", [&](size_t t, int g) { return c.false_matches_by_group[t][g]; },
      [&](size_t t, int g) { return ratios[t][g].by_match; });
  print_groups(
      "The same with each falsely matched person counted once (their matches shared out over the "
      "groups):\npeople with a false match in the group, and the ratio",
      "people", [&](size_t t, int g) { return c.probes_by_group[t][g]; },
      [&](size_t t, int g) { return ratios[t][g].by_person; });
  if (r.thresholds.empty()) return;
  // Everyone matched at the strictest threshold, best match first: UTKFace was
  // collected from the web and holds some LFW people, whose matches are true.
  const size_t last = r.thresholds.size() - 1;
  std::vector<int> matched;
  for (int p = 0; p < c.probes; ++p) {
    if (c.MatchesOfProbe(last, p) > 0) matched.push_back(p);
  }
  std::stable_sort(matched.begin(), matched.end(),
                   [&](int a, int b) { return c.best_match[a].cosine > c.best_match[b].cosine; });
  std::printf(
      "\nPeople matched at Similarity %.0f, with their matches and best match (UTKFace holds some "
      "LFW people: look\nat these pairs before calling a match false):\n",
      r.thresholds[last].similarity);
  for (int p : matched) {
    const eval::BestMatch& best = c.best_match[p];
    std::printf("  %-36s %4lld  best: Similarity %5.1f, cosine %.3f, %s\n", r.probes[p].c_str(),
                c.MatchesOfProbe(last, p), engine.calibration().Similarity(best.cosine),
                best.cosine, r.gallery_faces[best.gallery_face].c_str());
  }
}

int RunEvalNews(const GlobalOptions& global, const EvalArgs& args) {
  auto engine = MakeEngine(global, EvalEngineOptions(args, /*calibrated=*/true));
  if (!engine.ok()) return Fail(engine.status());
  eval::EmbedRunOptions run = EvalRunOptions(global, args, "lfw");
  eval::NewsExperimentOptions news;
  news.people = args.people;
  news.seed = args.seed;
  if (args.same_person_file != "none") {
    const std::string path = args.same_person_file.empty()
                                 ? std::string(CANDOR_SOURCE_DIR) + "/tools/eval/utkface_same_person.tsv"
                                 : args.same_person_file;
    auto pairs = eval::ReadSamePersonPairs(path);
    if (!pairs.ok()) return Fail(pairs.status());
    news.same_person = std::move(*pairs);
  }
  auto result = eval::RunNewsExperiment(**engine, DataDir(args.data), run, news);
  if (!result.ok()) return Fail(result.status());
  if (args.json) {
    std::printf("%s\n", NewsJson(*result, **engine).dump(2).c_str());
  } else {
    PrintNews(*result, **engine);
    if (args.list_removed) {
      std::printf("\nLeft out as the same person (LFW photo, UTKFace image, Similarity):\n");
      for (const auto& p : result->removed) {
        std::printf("  %-32s %-42s %5.1f\n", p.probe.c_str(), p.gallery_face.c_str(),
                    (*engine)->calibration().Similarity(p.cosine));
      }
    }
  }
  return 0;
}

// Said by `candor eval demographics`, in text and JSON alike.
constexpr const char* kDemographicsCannotMeasure =
    "UTKFace has no identities: every pair of distinct images is taken as an impostor pair, so "
    "these are false-match rates only. Without mated pairs there is no per-group false "
    "non-match rate (how often a person is not recognised): this data cannot measure it. The "
    "race and gender labels are the data set's own, and 'Others' mixes several populations. A "
    "few pairs may be the same person; those above the duplicate cosine are left out and counted.";

nlohmann::json CellJson(const eval::PairCell& cell) {
  nlohmann::json rates = nlohmann::json::array(), intervals = nlohmann::json::array();
  for (size_t t = 0; t < cell.false_matches.size(); ++t) {
    const eval::ProportionInterval ci = eval::ClopperPearson(cell.false_matches[t], cell.pairs);
    rates.push_back(cell.Rate(t));
    intervals.push_back({ci.lower, ci.upper});
  }
  return {{"pairs", cell.pairs},
          {"likely_duplicates_left_out", cell.likely_duplicates},
          {"false_matches", cell.false_matches},
          {"false_match_rate", rates},
          {"ci95_clopper_pearson", intervals}};
}

// A rate with three significant digits, "1.23e-05".
std::string FormatRate(double rate) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2e", rate);
  return text;
}

std::string ShortGroupName(int group) {
  const std::string name = eval::UtkFaceGroupName(group);  // "Indian/Female"
  return name.substr(0, name.find('/')) + " " + name[name.find('/') + 1];
}

void PrintDemographics(const eval::DemographicsReport& r, const std::string& dataset,
                       float duplicate_cosine) {
  const eval::PairCounts& counts = r.counts;
  const eval::PairCell total = counts.Total(), within = counts.WithinGroups(),
                       across = counts.AcrossGroups();
  int faces = 0, without_face = 0;
  for (int g = 0; g < counts.groups(); ++g) {
    faces += r.images_by_group[g] - r.without_face_by_group[g];
    without_face += r.without_face_by_group[g];
  }
  std::printf("False-match rate by group: impostor pairs within UTKFace (%s)\n", dataset.c_str());
  std::string younger;
  if (r.min_age > 0) {
    younger = ", " + std::to_string(r.images_below_min_age) + " younger than " +
              std::to_string(r.min_age);
  }
  std::printf(
      "  %d images: %d with no parsable label%s, %d without a face found (all left out); "
      "%d faces\n",
      r.images, r.images_unlabelled, younger.c_str(), without_face, faces);
  std::printf("  %lld pairs scored, %lld with cosine > %.2f left out as likely the same person\n",
              total.pairs + total.likely_duplicates, total.likely_duplicates, duplicate_cosine);
  std::printf("  thresholds: %s\n\n", r.calibration_source.c_str());

  std::printf("%10s %8s %10s   %-36s %-10s %-10s\n", "Similarity", "cosine", "calibrated",
              "all pairs: matches / pairs = FMR", "within", "across");
  for (size_t t = 0; t < r.thresholds.size(); ++t) {
    std::printf("%10.0f %8.4f %10.0e   %8lld / %-10lld = %-10s %-10s %-10s\n",
                r.thresholds[t].similarity, r.thresholds[t].cosine, r.thresholds[t].calibrated_fmr,
                total.false_matches[t], total.pairs, FormatRate(total.Rate(t)).c_str(),
                FormatRate(within.Rate(t)).c_str(), FormatRate(across.Rate(t)).c_str());
  }
  for (size_t t = 0; t < r.thresholds.size(); ++t) {
    std::printf(
        "\nSimilarity %.0f (cosine >= %.4f, calibrated FMR %.0e): pairs within each group\n",
        r.thresholds[t].similarity, r.thresholds[t].cosine, r.thresholds[t].calibrated_fmr);
    std::printf("  %-14s %6s %9s %8s %10s   %s\n", "group", "faces", "pairs", "matches", "FMR",
                "95% CI (Clopper-Pearson)");
    for (int g = 0; g < counts.groups(); ++g) {
      const eval::PairCell& c = counts.cell(g, g);
      const eval::ProportionInterval ci = eval::ClopperPearson(c.false_matches[t], c.pairs);
      std::printf("  %-14s %6d %9lld %8lld %10s   [%s, %s]%s\n", eval::UtkFaceGroupName(g).c_str(),
                  r.images_by_group[g] - r.without_face_by_group[g], c.pairs, c.false_matches[t],
                  FormatRate(c.Rate(t)).c_str(), FormatRate(ci.lower).c_str(),
                  FormatRate(ci.upper).c_str(),
                  c.false_matches[t] < 10 ? "  (fewer than 10 matches: rate uncertain)" : "");
    }
    const eval::GroupRateRatio ratio = eval::CompareWithinGroupRates(counts, t);
    if (ratio.worst_group < 0) continue;
    std::string ratio_text = "n/a (no false match in any group)";
    if (std::isinf(ratio.ratio)) {
      ratio_text = "unbounded (the best group has no false match)";
    } else if (ratio.ratio > 0) {
      char text[32];
      std::snprintf(text, sizeof(text), "%.2f", ratio.ratio);
      ratio_text = text;
    }
    std::printf(
        "  worst / best: %s / %s = %s; at least %.2f with 95%% confidence%s\n",
        eval::UtkFaceGroupName(ratio.worst_group).c_str(),
        eval::UtkFaceGroupName(ratio.best_group).c_str(), ratio_text.c_str(),
        ratio.ratio_lower_bound,
        ratio.ratio > 2 ? "   ** WORSE THAN 2: the false-match rate depends on the group **" : "");
  }
  for (size_t t = 0; t < r.thresholds.size(); ++t) {
    std::printf(
        "\nSimilarity %.0f: FMR x 1e-5 for every pair of groups (diagonal: within a group)\n",
        r.thresholds[t].similarity);
    std::printf("  %-9s", "");
    for (int b = 0; b < counts.groups(); ++b) std::printf(" %8s", ShortGroupName(b).c_str());
    std::printf("\n");
    for (int a = 0; a < counts.groups(); ++a) {
      std::printf("  %-9s", ShortGroupName(a).c_str());
      for (int b = 0; b < counts.groups(); ++b)
        std::printf(" %8.1f", 1e5 * counts.cell(a, b).Rate(t));
      std::printf("\n");
    }
  }
  std::printf("\nWhat this cannot measure: %s\n", kDemographicsCannotMeasure);
}

int RunEvalDemographics(const GlobalOptions& global, const EvalArgs& args) {
  auto engine = MakeEngine(global, EvalEngineOptions(args, /*calibrated=*/true));
  if (!engine.ok()) return Fail(engine.status());
  eval::EmbedRunOptions run = EvalRunOptions(global, args, "utkface");
  eval::DemographicsOptions demographics;
  demographics.duplicate_cosine = args.duplicate_cosine;
  demographics.min_age = args.min_age;
  const std::string data = DataDir(args.data);
  auto result = eval::EvaluateDemographics(**engine, data, run, demographics);
  if (!result.ok()) return Fail(result.status());
  const eval::DemographicsReport& r = *result;
  const std::string dataset = data + "/utkface/images";
  if (!args.json) {
    PrintDemographics(r, dataset, args.duplicate_cosine);
    return 0;
  }
  const eval::PairCounts& counts = r.counts;
  nlohmann::json groups = nlohmann::json::array(), cells = nlohmann::json::array(),
                 thresholds = nlohmann::json::array(), duplicates = nlohmann::json::array();
  for (int g = 0; g < counts.groups(); ++g) {
    groups.push_back({{"group", eval::UtkFaceGroupName(g)},
                      {"images", r.images_by_group[g]},
                      {"without_face", r.without_face_by_group[g]}});
  }
  for (int a = 0; a < counts.groups(); ++a) {
    for (int b = a; b < counts.groups(); ++b) {
      nlohmann::json cell = CellJson(counts.cell(a, b));
      cell["groups"] = {eval::UtkFaceGroupName(a), eval::UtkFaceGroupName(b)};
      cells.push_back(std::move(cell));
    }
  }
  for (size_t t = 0; t < r.thresholds.size(); ++t) {
    const eval::GroupRateRatio ratio = eval::CompareWithinGroupRates(counts, t);
    nlohmann::json worst_best = nullptr;
    if (ratio.worst_group >= 0) {
      worst_best = {{"worst_group", eval::UtkFaceGroupName(ratio.worst_group)},
                    {"best_group", eval::UtkFaceGroupName(ratio.best_group)},
                    {"worst_ci95", {ratio.worst_interval.lower, ratio.worst_interval.upper}},
                    {"best_ci95", {ratio.best_interval.lower, ratio.best_interval.upper}},
                    // JSON has no infinity: null when the best group has no false match.
                    {"ratio", std::isinf(ratio.ratio) ? nlohmann::json(nullptr)
                                                      : nlohmann::json(ratio.ratio)},
                    {"ratio_lower_bound_95", ratio.ratio_lower_bound},
                    {"worse_than_2", ratio.ratio > 2}};
    }
    thresholds.push_back({{"similarity", r.thresholds[t].similarity},
                          {"cosine", r.thresholds[t].cosine},
                          {"calibrated_false_match_rate", r.thresholds[t].calibrated_fmr},
                          {"worst_over_best_within_group", worst_best}});
  }
  for (const eval::NamedDuplicate& d : r.duplicates) {
    duplicates.push_back({{"first", d.first}, {"second", d.second}, {"cosine", d.cosine}});
  }
  nlohmann::json j = {{"dataset", dataset},
                      {"calibration_source", r.calibration_source},
                      {"face_model_version", (*engine)->face_model_version()},
                      {"images", r.images},
                      {"images_unlabelled", r.images_unlabelled},
                      {"min_age", r.min_age},
                      {"images_below_min_age", r.images_below_min_age},
                      {"groups", groups},
                      {"duplicate_cosine", args.duplicate_cosine},
                      {"likely_duplicates_listed", duplicates},
                      {"thresholds", thresholds},
                      {"all_pairs", CellJson(counts.Total())},
                      {"within_group_pairs", CellJson(counts.WithinGroups())},
                      {"across_group_pairs", CellJson(counts.AcrossGroups())},
                      {"cells", cells},
                      {"cannot_measure", kDemographicsCannotMeasure}};
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

}  // namespace

void RegisterEval(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  CLI::App* eval = app.add_subcommand("eval", "measure the engine on labelled data");
  eval->require_subcommand(1);
  auto args = std::make_shared<EvalArgs>();
  auto add_common = [args](CLI::App* cmd) {
    cmd->add_option("--data", args->data, "data directory (default: $CANDOR_DATA or ../shared/data)");
    cmd->add_option("--cache", args->cache, "embedding cache file (default: build/cache/)");
    cmd->add_flag("--no-cache", args->no_cache, "recompute every embedding");
    cmd->add_flag("--flip", args->flip, "average with the mirrored chip's embedding");
    cmd->add_flag("--refine-landmarks", args->refine, "second landmark pass");
  };
  CLI::App* lfw = eval->add_subcommand("lfw", "LFW 10-fold verification (pairs.txt)");
  add_common(lfw);
  lfw->add_flag("--json", args->json, "print JSON");
  lfw->callback([&global, args, exit_code] { *exit_code = RunEvalLfw(global, *args); });
  CLI::App* identify = eval->add_subcommand(
      "identify", "1:N search: LFW people in a gallery with UTKFace distractors");
  add_common(identify);
  identify->add_flag("--json", args->json, "print JSON");
  identify->callback([&global, args, exit_code] { *exit_code = RunEvalIdentify(global, *args); });
  CLI::App* news = eval->add_subcommand(
      "news",
      "the 535-people experiment: LFW people searched against UTKFace, who is falsely matched");
  add_common(news);
  news->add_flag("--json", args->json, "print JSON");
  news->add_option("--people", args->people,
                   "how many distinct LFW people to search (default 535)");
  news->add_option("--seed", args->seed, "which of them: seed of the shuffle (default 1)");
  news->add_option("--same-person", args->same_person_file,
                   "pairs judged to be one person, left out (default "
                   "tools/eval/utkface_same_person.tsv; none: keep every pair)");
  news->add_flag("--list-removed", args->list_removed, "list the pairs left out as one person");
  news->callback([&global, args, exit_code] { *exit_code = RunEvalNews(global, *args); });
  CLI::App* demographics = eval->add_subcommand(
      "demographics", "false-match rate per race x gender group from UTKFace impostor pairs");
  add_common(demographics);
  demographics->add_flag("--json", args->json, "print JSON");
  demographics->add_option(
      "--duplicate-cosine", args->duplicate_cosine,
      "leave out pairs above this cosine as likely the same person (1: keep all)");
  demographics->add_option("--min-age", args->min_age,
                           "leave out faces labelled younger than this (years; default 0: all)");
  demographics->callback(
      [&global, args, exit_code] { *exit_code = RunEvalDemographics(global, *args); });
  RegisterEvalReport(eval, global, exit_code);
  RegisterEvalFairness(eval, global, exit_code);
}

}  // namespace candor::cli
