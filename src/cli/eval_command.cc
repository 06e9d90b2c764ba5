// candor eval lfw / candor eval calibrate.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "embed/embedder.h"
#include "eval/identify.h"
#include "eval/lfw.h"
#include "eval/metrics.h"

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
};

std::string CachePath(const EvalArgs& args, const std::string& name) {
  if (args.no_cache) return "";
  if (!args.cache.empty()) return args.cache;
  return std::string(CANDOR_SOURCE_DIR) + "/build/cache/" + name + ".emb";
}

EngineOptions EvalEngineOptions(const EvalArgs& args) {
  EngineOptions options;
  options.calibration_path = "none";  // verification needs raw cosines only
  options.flip_average = args.flip;
  options.refine_landmarks = args.refine;
  return options;
}

int RunEvalLfw(const GlobalOptions& global, const EvalArgs& args) {
  const std::string root = DataDir(args.data) + "/lfw";
  auto engine = MakeEngine(global, EvalEngineOptions(args));
  if (!engine.ok()) return Fail(engine.status());
  eval::EmbedRunOptions run;
  run.threads = global.workers;
  run.cache_path = CachePath(args, "lfw");
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

int RunEvalCalibrate(const GlobalOptions& global, const EvalArgs& args) {
  const std::string root = DataDir(args.data) + "/lfw";
  auto engine = MakeEngine(global, EvalEngineOptions(args));
  if (!engine.ok()) return Fail(engine.status());
  std::vector<int> identity;
  auto paths = eval::ListLfwImages(root, &identity);
  if (!paths.ok()) return Fail(paths.status());
  eval::EmbedRunOptions run;
  run.threads = global.workers;
  run.cache_path = CachePath(args, "lfw");
  run.progress_label = "lfw images";
  auto embeddings = eval::EmbedImages(**engine, *paths, run);
  if (!embeddings.ok()) return Fail(embeddings.status());
  // Every pair of images of different people is an impostor pair.
  std::vector<int> usable;
  for (size_t i = 0; i < embeddings->size(); ++i) {
    if ((*embeddings)[i].has_face) usable.push_back(static_cast<int>(i));
  }
  std::vector<float> impostor;
  impostor.reserve(usable.size() * usable.size() / 2);
  for (size_t a = 0; a < usable.size(); ++a) {
    const auto& ea = (*embeddings)[usable[a]].embedding;
    for (size_t b = a + 1; b < usable.size(); ++b) {
      if (identity[usable[a]] == identity[usable[b]]) continue;
      impostor.push_back(embed::Cosine(ea, (*embeddings)[usable[b]].embedding));
    }
  }
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d", std::gmtime(&now));
  const std::string source = "LFW deep-funneled, all " + std::to_string(impostor.size()) +
                             " cross-identity pairs of " + std::to_string(usable.size()) +
                             " images; `candor eval calibrate`; " + (*engine)->embedding_fingerprint() +
                             "; " + date;
  Calibration calibration = Calibration::FromImpostorScores(impostor, source);
  const std::string out =
      args.out.empty() ? std::string(CANDOR_SOURCE_DIR) + "/models/calibration.json" : args.out;
  std::ofstream file(out, std::ios::trunc);
  file << calibration.ToJson() << "\n";
  if (!file) return Fail(Status::IOError("cannot write " + out));
  std::printf("calibration from %zu impostor pairs written to %s\n", impostor.size(), out.c_str());
  for (float s : {50.f, 80.f, 90.f, 95.f, 99.f, 100.f}) {
    std::printf("  Similarity %5.1f  cosine %.4f  false-match rate %.1e\n", s,
                calibration.CosineForSimilarity(s), FalseMatchRateAt(s));
  }
  return 0;
}

int RunEvalIdentify(const GlobalOptions& global, const EvalArgs& args) {
  EngineOptions options;  // with the shipped calibration: thresholds are Similarity
  options.flip_average = args.flip;
  options.refine_landmarks = args.refine;
  auto engine = MakeEngine(global, options);
  if (!engine.ok()) return Fail(engine.status());
  eval::EmbedRunOptions run;
  run.threads = global.workers;
  run.cache_path = CachePath(args, "lfw");
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
  CLI::App* calibrate = eval->add_subcommand(
      "calibrate", "similarity calibration from all LFW cross-identity pairs");
  add_common(calibrate);
  calibrate->add_option("--out", args->out, "output (default: models/calibration.json)");
  calibrate->callback([&global, args, exit_code] { *exit_code = RunEvalCalibrate(global, *args); });
}

}  // namespace candor::cli
