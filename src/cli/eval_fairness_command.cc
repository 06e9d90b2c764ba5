// candor eval calibrate / fairness: making the similarity calibration from the
// shared data (eval/fairness.h), and measuring per group what a Similarity
// means with it.
#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "eval/fairness.h"
#include "report/eval_report.h"

namespace candor::cli {
namespace {

struct FairnessArgs {
  std::string data;
  std::string cache_dir;
  std::string out;
  std::string json_out;
  bool json = false;
  bool in_sample = false;
};

eval::EmbedRunOptions RunOptions(const GlobalOptions& global, const FairnessArgs& args,
                                 const std::string& name) {
  eval::EmbedRunOptions run;
  run.threads = global.workers;
  const std::string dir =
      args.cache_dir.empty() ? std::string(CANDOR_SOURCE_DIR) + "/build/cache" : args.cache_dir;
  run.cache_path = dir + "/" + name + ".emb";
  run.progress_label = name;
  return run;
}

std::string Today() {
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d", std::gmtime(&now));
  return date;
}

int RunEvalCalibrate(const GlobalOptions& global, const FairnessArgs& args) {
  EngineOptions engine_options;
  engine_options.calibration_path = "none";  // the raw cosines are what is calibrated
  auto engine = MakeEngine(global, engine_options);
  if (!engine.ok()) return Fail(engine.status());
  const std::string data = DataDir(args.data);
  auto lfw = eval::LoadLfwWithGroups(**engine, data, RunOptions(global, args, "lfw"));
  if (!lfw.ok()) return Fail(lfw.status());
  auto utk = eval::LoadUtkFaceWithGroups(**engine, data, RunOptions(global, args, "utkface"));
  if (!utk.ok()) return Fail(utk.status());
  Calibration::Metadata metadata;
  metadata.face_model_version = (*engine)->face_model_version();
  metadata.date = Today();
  metadata.source = "LFW deep-funneled (" + std::to_string(lfw->rows()) +
                    " faces, groups.tsv) and UTKFace (" + std::to_string(utk->rows()) +
                    " faces) in " + data + "; `candor eval calibrate`; " +
                    (*engine)->embedding_fingerprint() + "; " + metadata.date;
  auto calibration = eval::FitShippedCalibration(*lfw, *utk, -1, metadata);
  if (!calibration.ok()) return Fail(calibration.status());
  const std::string out =
      args.out.empty() ? std::string(CANDOR_SOURCE_DIR) + "/models/calibration.json" : args.out;
  std::ofstream file(out, std::ios::trunc);
  file << calibration->ToJson() << "\n";
  if (!file) return Fail(Status::IOError("cannot write " + out));
  std::printf("calibration %s written to %s\n", calibration->version().c_str(), out.c_str());
  std::printf("  %s\n", calibration->metadata().method.c_str());
  for (float s : {50.f, 80.f, 90.f, 95.f, 99.f, 100.f}) {
    std::printf("  Similarity %5.1f  cosine %.4f  false-match rate %.1e\n", s,
                calibration->CosineForSimilarity(s), FalseMatchRateAt(s));
  }
  std::printf("  groups (within-group impostor pairs; shift over the base table at the deepest "
              "similarity measured, carried beyond it):\n");
  for (const auto& g : calibration->metadata().groups) {
    std::printf("    %-26s %9lld pairs  measured to %5.1f  shift %+.4f\n", g.group.c_str(), g.pairs,
                g.measured_at, g.cosine_shift);
  }
  return 0;
}

void PrintTable(const eval::FairnessTable& t) {
  std::printf("\n%s\n", t.dataset.c_str());
  std::printf("  %-14s %10s", "group", "pairs");
  for (float s : t.similarities) std::printf("   FMR at %-5.0f", s);
  if (t.identities_known) {
    std::printf(" %8s", "genuine");
    for (float s : t.similarities) std::printf("  FNMR %-4.0f", s);
  }
  std::printf("\n");
  for (const eval::GroupRates& g : t.groups) {
    std::printf("  %-14s %10lld", g.group.c_str(), g.impostor_pairs);
    for (size_t s = 0; s < t.similarities.size(); ++s) {
      std::printf(" %6lld (%.1e)", g.false_matches[s],
                  g.impostor_pairs ? static_cast<double>(g.false_matches[s]) / g.impostor_pairs : 0.0);
    }
    if (t.identities_known) {
      std::printf(" %8lld", g.genuine_pairs);
      for (size_t s = 0; s < t.similarities.size(); ++s) {
        std::printf("  %9.4f", g.genuine_pairs ? static_cast<double>(g.false_non_matches[s]) /
                                                     g.genuine_pairs
                                               : 0.0);
      }
    }
    std::printf("\n");
  }
  for (size_t s = 0; s < t.similarities.size(); ++s) {
    const eval::RateRatio r = eval::CompareGroupRates(t, s);
    const double claim = FalseMatchRateAt(t.similarities[s]);
    std::printf("  Similarity %-4.0f claimed %.1e: worst %s %.1e (%.2fx the claim), best %s %.1e; "
                "worst/best %.2f (at least %.2f at 95%%)\n",
                t.similarities[s], claim, r.worst_group.c_str(), r.worst_rate, r.worst_rate / claim,
                r.best_group.c_str(), r.best_rate, r.ratio, r.ratio_lower_bound);
  }
}

int RunEvalFairness(const GlobalOptions& global, const FairnessArgs& args) {
  auto engine = MakeEngine(global, EngineOptions{});
  if (!engine.ok()) return Fail(engine.status());
  eval::FairnessOptions options;
  options.cross_fit = !args.in_sample;
  auto measured = eval::EvaluateFairness(**engine, DataDir(args.data),
                                         RunOptions(global, args, "lfw"),
                                         RunOptions(global, args, "utkface"), options);
  if (!measured.ok()) return Fail(measured.status());
  const eval::FairnessReport& r = *measured;
  const nlohmann::json j = report::FairnessSectionJson(r, (*engine)->calibration().version());
  if (!args.json_out.empty()) {
    std::ofstream out(args.json_out, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) return Fail(Status::IOError("cannot write " + args.json_out));
  }
  if (args.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("Per-group rates, calibration %s%s\n", r.calibration_version.c_str(),
              r.cross_fitted ? ": fitted on one half of the people (LFW) and images (UTKFace), "
                               "measured on the other, both ways"
                             : " (in-sample: measured on the data it was made from)");
  std::printf("LFW: %d of %d images with a face; UTKFace: %d of %d labelled images with a face\n",
              r.lfw_faces, r.lfw_images, r.utkface_faces, r.utkface_images);
  for (const auto& t : r.tables) PrintTable(t);
  std::printf("\nUTKFace has no identities: some of its impostor pairs are one person photographed "
              "twice, which inflates its rates, most at high Similarity. Intervals: 95%% "
              "Clopper-Pearson (--json).\n");
  return 0;
}

}  // namespace

void RegisterEvalFairness(CLI::App* eval, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<FairnessArgs>();
  auto add_common = [args](CLI::App* cmd) {
    cmd->add_option("--data", args->data, "data directory (default: $CANDOR_DATA or ../shared/data)");
    cmd->add_option("--cache-dir", args->cache_dir, "embedding caches (default: build/cache)");
  };
  CLI::App* calibrate = eval->add_subcommand(
      "calibrate",
      "the similarity calibration: LFW impostor pairs, then the worst of every labelled group "
      "(LFW groups.tsv, UTKFace adults)");
  add_common(calibrate);
  calibrate->add_option("--out", args->out, "output (default: models/calibration.json)");
  calibrate->callback([&global, args, exit_code] { *exit_code = RunEvalCalibrate(global, *args); });
  CLI::App* fairness = eval->add_subcommand(
      "fairness",
      "per-group false-match and false-non-match rates at each Similarity (LFW groups, UTKFace)");
  add_common(fairness);
  fairness->add_flag("--json", args->json, "print JSON");
  fairness->add_option("--json-out", args->json_out, "also write the JSON to this file");
  fairness->add_flag("--in-sample", args->in_sample,
                     "measure the shipped calibration on the data it was made from (default: "
                     "cross-fitted, each half measured with a calibration fitted on the other)");
  fairness->callback([&global, args, exit_code] { *exit_code = RunEvalFairness(global, *args); });
}

}  // namespace candor::cli
