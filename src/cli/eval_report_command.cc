// candor eval attributes / detect / report / normalisation: attribute networks and the
// detector measured on labelled data, the published evaluation report, and an
// experiment on narrowing the demographic false-match differential.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "eval/attributes.h"
#include "eval/demographics.h"
#include "eval/detection.h"
#include "eval/eval_pipelines.h"
#include "eval/fairness.h"
#include "eval/lfw.h"
#include "eval/score_normalisation.h"
#include "report/eval_report.h"

namespace candor::cli {
namespace {

struct EvalReportArgs {
  std::string data;
  std::string cache_dir;  // embedding caches: <dir>/lfw.emb, <dir>/utkface.emb
  bool json = false;
  std::string json_out;
  // attributes
  int utkface_stride = 1;
  int fer_stride = 1;
  int nuaa_stride = 1;
  std::string only;  // "utkface", "fer", "nuaa" or empty: all
  // detect
  float min_face_px = 20;
  float score_threshold = 0.7f;
  bool stretched = false;
  // report
  std::string out_dir;
  std::string attributes_json;
  std::string detect_json;
  float default_similarity = report::kDefaultReportSimilarity;
  int min_age = 0;
  bool skip_lfw = false;
  bool skip_demographics = false;
  bool skip_fairness = false;
  // normalisation
  int cohort_k = 50;
  bool gallery_cohort = false;
  bool held_out = false;
};

int Workers(const GlobalOptions& global) {
  if (global.workers > 0) return global.workers;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::Ok();
}

// Prints the JSON (--json) and/or writes it (--json-out).
int EmitJson(const EvalReportArgs& args, const nlohmann::json& j) {
  if (args.json) std::printf("%s\n", j.dump(2).c_str());
  if (!args.json_out.empty()) {
    const Status written = WriteText(args.json_out, j.dump(2) + "\n");
    if (!written.ok()) return Fail(written);
  }
  return 0;
}

int RunEvalAttributes(const GlobalOptions& global, const EvalReportArgs& args) {
  eval::AttributeEvalOptions options;
  options.model_dir = global.model_dir;
  options.threads = Workers(global);
  options.utkface_stride = args.utkface_stride;
  options.fer_stride = args.fer_stride;
  options.nuaa_stride = args.nuaa_stride;
  if (!args.only.empty()) {
    options.utkface = args.only == "utkface";
    options.fer = args.only == "fer";
    options.nuaa = args.only == "nuaa";
  }
  auto result = eval::EvaluateAttributes(DataDir(args.data), options);
  if (!result.ok()) return Fail(result.status());
  const nlohmann::json j = report::AttributesJson(*result);
  if (!args.json) {
    const eval::AttributeReport& r = *result;
    if (options.utkface) {
      std::printf("UTKFace (%s, every %d-th file): gender and age per group\n",
                  r.utkface_dataset.c_str(), r.utkface_stride);
      std::printf("  %-14s %6s %7s %9s %7s %8s %9s %9s %9s %9s\n", "group", "faces", "noface",
                  "gender", "given", "age MAE", "in range", "est mean", "est std", "const MAE");
      for (const nlohmann::json& g : j["utkface"]["groups"]) {
        std::printf("  %-14s %6d %7d %8.1f%% %6.1f%% %8.2f %8.1f%% %9.2f %9.2f %9.2f\n",
                    g["group"].get<std::string>().c_str(), g["faces"].get<int>(),
                    g["without_face"].get<int>(), 100 * g["gender_accuracy"].get<double>(),
                    100 * g["gender_coverage"].get<double>(), g["age_mae"].get<double>(), 100 * g["age_inside_range"].get<double>(),
                    g["age_estimate_mean"].get<double>(), g["age_estimate_std"].get<double>(),
                    g["constant_guess_mae"].get<double>());
      }
      const nlohmann::json& a = j["utkface"]["all"];
      std::printf("  %-14s %6d %7d %8.1f%% %6.1f%% %8.2f %8.1f%% %9.2f %9.2f %9.2f\n", "all",
                  a["faces"].get<int>(), a["without_face"].get<int>(),
                  100 * a["gender_accuracy"].get<double>(),
                  100 * a["gender_coverage"].get<double>(), a["age_mae"].get<double>(),
                  100 * a["age_inside_range"].get<double>(), a["age_estimate_mean"].get<double>(),
                  a["age_estimate_std"].get<double>(), a["constant_guess_mae"].get<double>());
    }
    if (options.fer) {
      std::printf("\nFER-2013 test (%s, every %d-th file per class): accuracy %.2f%% on %lld faces "
                  "(%d taken whole: no face found)\n  confusion (rows true, columns predicted):\n",
                  r.fer_dataset.c_str(), r.fer_stride, 100 * r.emotions.Accuracy(),
                  r.emotions.Total(), r.fer_whole_image);
      std::printf("  %-9s", "");
      for (const char* c : eval::kFerClasses) std::printf(" %8s", c);
      std::printf("   recall\n");
      for (int t = 0; t < r.emotions.classes(); ++t) {
        std::printf("  %-9s", eval::kFerClasses[t]);
        for (long long v : r.emotions.counts[t]) std::printf(" %8lld", v);
        std::printf("   %5.1f%%\n", 100 * r.emotions.Recall(t));
      }
    }
    if (options.nuaa) {
      const eval::LivenessCounts& l = r.liveness;
      std::printf("\nNUAA (%s, every %d-th file), live probability threshold %.2f:\n"
                  "  genuine called spoof %d / %d = %.2f%%\n  spoof called genuine %d / %d = "
                  "%.2f%%\n  without a face found: %d\n",
                  r.nuaa_dataset.c_str(), r.nuaa_stride, r.live_threshold, l.genuine_called_spoof,
                  l.genuine, 100 * l.GenuineRejectRate(), l.spoof_called_genuine, l.spoof,
                  100 * l.SpoofAcceptRate(), l.without_face);
    }
    std::printf("\n%.1f s\n", r.seconds);
  }
  return EmitJson(args, j);
}

int RunEvalDetect(const GlobalOptions& global, const EvalReportArgs& args) {
  eval::DetectionEvalOptions options;
  options.model_dir = global.model_dir;
  options.threads = Workers(global);
  options.min_face_px = args.min_face_px;
  options.score_threshold = args.score_threshold;
  options.restore_aspect = !args.stretched;
  auto result = eval::EvaluateDetection(DataDir(args.data), options);
  if (!result.ok()) return Fail(result.status());
  const nlohmann::json j = report::DetectionJson(*result, options);
  if (!args.json) {
    std::printf("WIDER FACE subset: %s, %d images, IoU >= %.2f, min face %.0f px, score >= %.2f\n",
                result->dataset.c_str(), result->images, options.min_iou, options.min_face_px,
                options.score_threshold);
    std::printf("  %-8s %7s %7s %8s %10s %7s %9s\n", "height", "faces", "found", "recall",
                "detections", "true", "precision");
    std::vector<nlohmann::json> rows(j["bins"].begin(), j["bins"].end());
    rows.push_back(j["total"]);
    for (const nlohmann::json& b : rows) {
      std::printf("  %-8s %7lld %7lld %7.1f%% %10lld %7lld %8.1f%%\n",
                  b["size"].get<std::string>().c_str(), b["faces"].get<long long>(),
                  b["found"].get<long long>(), 100 * b["recall"].get<double>(),
                  b["detections"].get<long long>(), b["true_detections"].get<long long>(),
                  100 * b["precision"].get<double>());
    }
    std::printf("  %lld faces flagged invalid (don't care), %lld detections on them ignored\n"
                "  %s\n%.1f s\n",
                result->counts.invalid_faces, result->counts.ignored_detections,
                j["conventions"].get<std::string>().c_str(), result->seconds);
  }
  return EmitJson(args, j);
}

StatusOr<nlohmann::json> ReadJsonFile(const std::string& path) {
  CANDOR_ASSIGN_OR_RETURN(std::string text, eval::ReadEvalFile(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(path + " is not a JSON object");
  return j;
}

int RunEvalReport(const GlobalOptions& global, const EvalReportArgs& args) {
  namespace fs = std::filesystem;
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  fs::create_directories(args.out_dir, ec);
  if (ec) return Fail(Status::IOError("cannot create " + args.out_dir + ": " + ec.message()));
  const std::string data = DataDir(args.data);
  const std::string cache_dir =
      args.cache_dir.empty() ? std::string(CANDOR_SOURCE_DIR) + "/build/cache" : args.cache_dir;
  nlohmann::json record = {{"title", "Candor evaluation report"},
                           {"generated", report::TodayUtc()},
                           {"default_similarity", args.default_similarity},
                           {"lfw", nullptr},
                           {"fairness", nullptr},
                           {"demographics", nullptr},
                           {"attributes", nullptr},
                           {"detection", nullptr}};
  if (!args.skip_lfw || !args.skip_demographics || !args.skip_fairness) {
    EngineOptions engine_options;
    engine_options.workers = global.workers;
    auto engine = MakeEngine(global, engine_options);
    if (!engine.ok()) return Fail(engine.status());
    record["face_model_version"] = (*engine)->face_model_version();
    if (!args.skip_lfw) {
      eval::EmbedRunOptions run;
      run.threads = global.workers;
      run.cache_path = cache_dir + "/lfw.emb";
      run.progress_label = "lfw";
      auto lfw = eval::EvaluateLfw(**engine, data + "/lfw", run);
      if (!lfw.ok()) return Fail(lfw.status());
      record["lfw"] = report::LfwSectionJson(*lfw, data + "/lfw", (*engine)->face_model_version());
    }
    if (!args.skip_fairness) {
      // The same embedding caches as the LFW and demographics sections.
      eval::EmbedRunOptions lfw_run, utkface_run;
      lfw_run.threads = utkface_run.threads = global.workers;
      lfw_run.cache_path = cache_dir + "/lfw.emb";
      lfw_run.progress_label = "lfw";
      utkface_run.cache_path = cache_dir + "/utkface.emb";
      utkface_run.progress_label = "utkface";
      eval::FairnessOptions options;
      options.cross_fit = true;
      // The warning compares groups at the default similarity: measure there too.
      if (std::find(options.similarities.begin(), options.similarities.end(),
                    args.default_similarity) == options.similarities.end()) {
        options.similarities.push_back(args.default_similarity);
        std::sort(options.similarities.begin(), options.similarities.end());
      }
      auto fairness = eval::EvaluateFairness(**engine, data, lfw_run, utkface_run, options);
      if (!fairness.ok()) return Fail(fairness.status());
      nlohmann::json section =
          report::FairnessSectionJson(*fairness, (*engine)->calibration().version());
      section["dataset"] = data + "/lfw (groups.tsv) and " + data + "/utkface/images";
      section["date"] = report::TodayUtc();
      record["fairness"] = section;
    }
    if (!args.skip_demographics) {
      eval::EmbedRunOptions run;
      run.threads = global.workers;
      run.cache_path = cache_dir + "/utkface.emb";
      run.progress_label = "utkface";
      eval::DemographicsOptions options;
      options.similarities = {0,  10, 20, 30, 40, 50, 60, 70, 75, 80, 85,
                              90, 92, 94, 95, 96, 97, 98, 99, 99.5f, 99.9f};
      bool has_default = false;
      for (float s : options.similarities) has_default |= s == args.default_similarity;
      if (!has_default) options.similarities.push_back(args.default_similarity);
      std::sort(options.similarities.begin(), options.similarities.end());
      options.min_age = args.min_age;
      options.count_threads = Workers(global);
      auto demographics = eval::EvaluateDemographics(**engine, data, run, options);
      if (!demographics.ok()) return Fail(demographics.status());
      record["demographics"] = report::DemographicsSectionJson(
          *demographics, data + "/utkface/images", args.default_similarity);
    }
  }
  if (!args.attributes_json.empty()) {
    auto j = ReadJsonFile(args.attributes_json);
    if (!j.ok()) return Fail(j.status());
    record["attributes"] = *j;
  }
  if (!args.detect_json.empty()) {
    auto j = ReadJsonFile(args.detect_json);
    if (!j.ok()) return Fail(j.status());
    record["detection"] = *j;
  }
  const std::string json_path = args.out_dir + "/eval_report.json";
  const std::string html_path = args.out_dir + "/eval_report.html";
  Status written = WriteText(json_path, record.dump(2) + "\n");
  if (written.ok()) written = WriteText(html_path, report::RenderEvalReportHtml(record));
  if (!written.ok()) return Fail(written);
  const std::optional<report::GroupFmrComparison> ratio =
      report::DefaultThresholdFmrComparison(record);
  std::printf("wrote %s and %s (%.1f s)\n", html_path.c_str(), json_path.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (ratio) {
    std::printf("worst/best within-group false-match rate at Similarity %.0f (%s, %s): %.2f%s\n",
                ratio->similarity, ratio->section.c_str(), ratio->dataset.c_str(), ratio->ratio,
                ratio->ratio > report::kFmrRatioWarningAbove ? " (warning shown)" : "");
  }
  return 0;
}


int RunEvalNormalisation(const GlobalOptions& global, const EvalReportArgs& args) {
  auto engine = MakeEngine(global, EngineOptions{});
  if (!engine.ok()) return Fail(engine.status());
  const std::string cache_dir =
      args.cache_dir.empty() ? std::string(CANDOR_SOURCE_DIR) + "/build/cache" : args.cache_dir;
  eval::EmbedRunOptions lfw_run, utk_run;
  lfw_run.threads = utk_run.threads = global.workers;
  lfw_run.cache_path = cache_dir + "/lfw.emb";
  lfw_run.progress_label = "lfw";
  utk_run.cache_path = cache_dir + "/utkface.emb";
  utk_run.progress_label = "utkface";
  eval::NormalisationOptions options;
  options.k = args.cohort_k;
  options.gallery_cohort = args.gallery_cohort;
  options.held_out = args.held_out;
  options.min_age = args.min_age;
  options.threads = Workers(global);
  auto result = eval::EvaluateCohortNormalisation(**engine, DataDir(args.data), lfw_run, utk_run,
                                                  options);
  if (!result.ok()) return Fail(result.status());
  const eval::NormalisationReport& r = *result;
  nlohmann::json thresholds = nlohmann::json::array();
  const auto ratio_json = [](double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  if (!args.json) {
    std::printf("Cohort score normalisation (top-%d mean cosine against %d %s faces; no group "
                "label used); %lld within-group UTKFace pairs, ages >= %d\n",
                r.k, r.cohort_faces, !r.gallery_cohort ? "LFW" : r.held_out ? "UTKFace (even positions; odd measured)" : "UTKFace (in-sample)", r.pairs,
                r.min_age);
  }
  for (const eval::NormalisationAtThreshold& at : r.thresholds) {
    nlohmann::json groups = nlohmann::json::array();
    for (const eval::NormalisedGroupRates& g : at.groups) {
      groups.push_back({{"group", g.group},
                        {"pairs", g.pairs},
                        {"raw_false_matches", g.raw_false_matches},
                        {"normalised_false_matches", g.normalised_false_matches},
                        {"mean_cohort_score", g.mean_cohort_score}});
    }
    thresholds.push_back({{"similarity", at.similarity},
                          {"raw_cosine", at.raw_cosine},
                          {"normalised_threshold", at.normalised_threshold},
                          {"pooled_raw", at.pooled_raw},
                          {"pooled_normalised", at.pooled_normalised},
                          {"raw_ratio", ratio_json(at.raw_ratio)},
                          {"normalised_ratio", ratio_json(at.normalised_ratio)},
                          {"groups", groups}});
    if (args.json) continue;
    std::printf("\nSimilarity %.0f: raw cosine >= %.4f accepts %lld pooled pairs; normalised "
                ">= %.4f accepts %lld\n  %-14s %8s %10s %10s %10s %10s %8s\n",
                at.similarity, at.raw_cosine, at.pooled_raw, at.normalised_threshold,
                at.pooled_normalised, "group", "pairs", "raw FM", "raw FMR", "norm FM", "norm FMR",
                "mean mu");
    for (const eval::NormalisedGroupRates& g : at.groups) {
      std::printf("  %-14s %8lld %10lld %10.2e %10lld %10.2e %8.4f\n", g.group.c_str(), g.pairs,
                  g.raw_false_matches, static_cast<double>(g.raw_false_matches) / std::max(1LL, g.pairs),
                  g.normalised_false_matches,
                  static_cast<double>(g.normalised_false_matches) / std::max(1LL, g.pairs),
                  g.mean_cohort_score);
    }
    std::printf("  worst/best within-group FMR: raw %.2f, normalised %.2f\n", at.raw_ratio,
                at.normalised_ratio);
  }
  return EmitJson(args, {{"experiment", "cohort score normalisation"},
                         {"k", r.k},
                         {"cohort_faces", r.cohort_faces},
                         {"cohort", !r.gallery_cohort ? "lfw"
                                    : r.held_out ? "utkface, held out (even positions)"
                                                 : "utkface (in-sample)"},
                         {"min_age", r.min_age},
                         {"pairs", r.pairs},
                         {"thresholds", thresholds}});
}

}  // namespace

void RegisterEvalReport(CLI::App* eval, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<EvalReportArgs>();
  const auto add_output = [args](CLI::App* cmd) {
    cmd->add_option("--data", args->data, "data directory (default: $CANDOR_DATA or ../shared/data)");
    cmd->add_flag("--json", args->json, "print JSON");
    cmd->add_option("--json-out", args->json_out, "also write the JSON to this file");
  };
  CLI::App* attributes = eval->add_subcommand(
      "attributes", "gender/age per group (UTKFace), emotions (FER-2013), liveness (NUAA)");
  add_output(attributes);
  attributes->add_option("--utkface-stride", args->utkface_stride, "every n-th UTKFace file (1: all)")
      ->check(CLI::Range(1, 100000));
  attributes->add_option("--fer-stride", args->fer_stride, "every n-th FER-2013 file per class")
      ->check(CLI::Range(1, 100000));
  attributes->add_option("--nuaa-stride", args->nuaa_stride, "every n-th NUAA file")
      ->check(CLI::Range(1, 100000));
  attributes->add_option("--only", args->only, "one part only")
      ->check(CLI::IsMember({"utkface", "fer", "nuaa"}));
  attributes->callback(
      [&global, args, exit_code] { *exit_code = RunEvalAttributes(global, *args); });

  CLI::App* detect = eval->add_subcommand(
      "detect", "detector recall and precision by face size on the WIDER FACE subset");
  add_output(detect);
  detect->add_option("--min-face", args->min_face_px,
                     "smallest face the detector looks for, px (default 20, as the engine)")
      ->check(CLI::Range(4.0, 1000.0));
  detect->add_option("--score-threshold", args->score_threshold,
                     "detector score a box needs, 0..1 (default 0.7, as the engine)")
      ->check(CLI::Range(0.05, 1.0));
  detect->add_flag("--stretched", args->stretched,
                   "detect on the 416x416 stretched images as they are; by default each is "
                   "resized back to its original size (voc_xml_original) first, so faces "
                   "have their natural shape, and --min-face counts its pixels");
  detect->callback([&global, args, exit_code] { *exit_code = RunEvalDetect(global, *args); });

  CLI::App* report_cmd = eval->add_subcommand(
      "report", "the evaluation report: self-contained HTML and JSON in --out DIR");
  report_cmd->add_option("--out", args->out_dir, "output directory")->required();
  report_cmd->add_option("--data", args->data, "data directory (default: $CANDOR_DATA or ../shared/data)");
  report_cmd->add_option("--cache-dir", args->cache_dir,
                         "embedding caches lfw.emb and utkface.emb (default: build/cache)");
  report_cmd->add_option("--attributes", args->attributes_json,
                         "JSON of `candor eval attributes --json-out` to include");
  report_cmd->add_option("--detect", args->detect_json,
                         "JSON of `candor eval detect --json-out` to include");
  report_cmd->add_option("--default-similarity", args->default_similarity,
                         "threshold of the group comparisons and their warning (default 80)")
      ->check(CLI::Range(0.0, 100.0));
  report_cmd->add_option("--min-age", args->min_age,
                         "demographics: leave out faces labelled younger than this");
  report_cmd->add_flag("--skip-lfw", args->skip_lfw, "leave the LFW section out");
  report_cmd->add_flag("--skip-demographics", args->skip_demographics,
                       "leave the demographic section out");
  report_cmd->add_flag("--skip-fairness", args->skip_fairness,
                       "leave the per-group Similarity section (`candor eval fairness`) out");
  report_cmd->callback([&global, args, exit_code] { *exit_code = RunEvalReport(global, *args); });

  CLI::App* normalisation = eval->add_subcommand(
      "normalisation",
      "experiment: does cohort score normalisation narrow the per-group false-match ratio?");
  add_output(normalisation);
  normalisation->add_option("--cache-dir", args->cache_dir,
                            "embedding caches lfw.emb and utkface.emb (default: build/cache)");
  normalisation->add_option("--k", args->cohort_k, "cohort scores averaged per face (default 50)")
      ->check(CLI::Range(1, 100000));
  normalisation->add_flag("--gallery-cohort", args->gallery_cohort,
                          "use the UTKFace faces themselves as the cohort (default: LFW)");
  normalisation->add_flag("--held-out", args->held_out,
                          "with --gallery-cohort: cohort from half the faces, measure the other half");
  normalisation->add_option("--min-age", args->min_age,
                            "leave out faces labelled younger than this");
  normalisation->callback(
      [&global, args, exit_code] { *exit_code = RunEvalNormalisation(global, *args); });
}

}  // namespace candor::cli
