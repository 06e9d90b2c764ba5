// candor detect / candor compare.
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>

#include "cli/commands.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "protocol/rekognition_json.h"

namespace candor::cli {
namespace {

struct DetectArgs {
  std::vector<std::string> inputs;
  std::string attributes = "DEFAULT";
  bool landmarks68 = false;
};

int RunDetect(const GlobalOptions& global, const DetectArgs& args) {
  auto paths = ExpandImagePaths(args.inputs);
  if (!paths.ok()) return Fail(paths.status());
  if (paths->empty()) return Fail(Status::InvalidArgument("no image files found in the arguments"));
  auto engine = MakeEngine(global);
  if (!engine.ok()) return Fail(engine.status());
  protocol::JsonOptions json_options;
  json_options.attributes = args.attributes == "ALL" ? AttributeSet::kAll : AttributeSet::kDefault;
  json_options.include_landmarks68 = args.landmarks68;

  const bool single = paths->size() == 1;
  std::unique_ptr<core::Progress> progress;
  if (!single) progress = std::make_unique<core::Progress>("detect", paths->size());
  // Results are printed in input order as soon as each is ready.
  std::mutex print_mutex;
  std::map<size_t, std::string> ready;
  size_t next_to_print = 0;
  std::atomic<int> failures{0};
  const int threads = global.workers > 0 ? global.workers : 0;
  core::ParallelFor(paths->size(), threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency()),
                    [&](size_t i) {
    const std::string& path = (*paths)[i];
    std::string line;
    auto bytes = ReadFileBytes(path);
    StatusOr<DetectResult> result =
        bytes.ok() ? (*engine)->DetectFaces(*bytes, json_options.attributes)
                   : StatusOr<DetectResult>(bytes.status());
    if (!result.ok()) {
      ++failures;
      std::lock_guard<std::mutex> lock(print_mutex);
      std::fprintf(stderr, "%s%s: %s\n", progress ? "\n" : "", path.c_str(),
                   result.status().ToString().c_str());
    } else {
      nlohmann::json doc = protocol::DetectFacesResponse(*result, json_options);
      if (single) {
        line = doc.dump(2);
      } else {
        doc["CandorImage"] = path;
        line = doc.dump();
      }
    }
    if (progress) progress->Advance();
    std::lock_guard<std::mutex> lock(print_mutex);
    ready[i] = std::move(line);
    while (!ready.empty() && ready.begin()->first == next_to_print) {
      if (!ready.begin()->second.empty()) std::printf("%s\n", ready.begin()->second.c_str());
      ready.erase(ready.begin());
      ++next_to_print;
    }
    std::fflush(stdout);
  });
  if (progress) {
    progress->Finish();
    std::fprintf(stderr, "detect: %zu images, %d failed\n", paths->size(), failures.load());
  }
  return failures > 0 ? 1 : 0;
}

int RunCompare(const GlobalOptions& global, const std::string& source, const std::string& target,
               float threshold) {
  auto source_bytes = ReadFileBytes(source);
  if (!source_bytes.ok()) return Fail(source_bytes.status());
  auto target_bytes = ReadFileBytes(target);
  if (!target_bytes.ok()) return Fail(target_bytes.status());
  // One comparison: one worker, with every core inside each forward pass.
  GlobalOptions one = global;
  one.workers = 1;
  auto engine = MakeEngine(one);
  if (!engine.ok()) return Fail(engine.status());
  auto result = (*engine)->CompareFaces(*source_bytes, *target_bytes, threshold);
  if (!result.ok()) return Fail(result.status());
  std::printf("%s\n", protocol::CompareFacesResponse(*result).dump(2).c_str());
  return 0;
}

}  // namespace

void RegisterDetect(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<DetectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "detect", "DetectFaces on images or directories; JSON (JSON lines for several images)");
  cmd->add_option("images", args->inputs, "image files or directories")->required();
  cmd->add_option("--attributes", args->attributes, "DEFAULT or ALL")
      ->check(CLI::IsMember({"DEFAULT", "ALL"}));
  cmd->add_flag("--landmarks68", args->landmarks68, "also print all 68 landmarks (CandorLandmarks68)");
  cmd->callback([&global, args, exit_code] { *exit_code = RunDetect(global, *args); });
}

void RegisterCompare(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  struct CompareArgs {
    std::string source, target;
    float threshold = 80.f;
  };
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "CompareFaces: the largest face of SOURCE against the faces of TARGET");
  cmd->add_option("source", args->source, "source image")->required();
  cmd->add_option("target", args->target, "target image")->required();
  cmd->add_option("--similarity-threshold", args->threshold,
                  "calibrated Similarity (0-100) a match needs; see README for what it means")
      ->check(CLI::Range(0.f, 100.f));
  cmd->callback([&global, args, exit_code] {
    *exit_code = RunCompare(global, args->source, args->target, args->threshold);
  });
}

}  // namespace candor::cli
