// candor: detect, describe and compare faces; evaluate the engine.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/cli_common.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"candor: self-hosted face recognition with accountability built in"};
  app.require_subcommand(1);
  candor::cli::GlobalOptions global;
  app.add_option("--models", global.model_dir,
                 "directory of the model pack (default: $CANDOR_MODELS or .models/ in the source tree)");
  app.add_option("--workers", global.workers, "parallel workers (default: one per core)")
      ->check(CLI::Range(1, 256));
  int exit_code = 0;
  candor::cli::RegisterDetect(app, global, &exit_code);
  candor::cli::RegisterCompare(app, global, &exit_code);
  candor::cli::RegisterEval(app, global, &exit_code);
  candor::cli::RegisterCollection(app, global, &exit_code);
  candor::cli::RegisterVideo(app, global, &exit_code);
  candor::cli::RegisterKeys(app, global, &exit_code);
  candor::cli::RegisterAudit(app, global, &exit_code);
  candor::cli::RegisterServe(app, global, &exit_code);
  candor::cli::RegisterReport(app, global, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
