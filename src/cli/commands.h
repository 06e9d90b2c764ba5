// Each Register* adds one subcommand to the app; its callback runs the
// command and stores the process exit code in *exit_code.
#ifndef CANDOR_CLI_COMMANDS_H_
#define CANDOR_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cli/cli_common.h"

namespace candor::cli {

void RegisterDetect(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterCompare(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterEval(CLI::App& app, const GlobalOptions& global, int* exit_code);
// eval attributes / detect / report / normalisation, added to the `eval` subcommand.
void RegisterEvalReport(CLI::App* eval, const GlobalOptions& global, int* exit_code);
// eval calibrate / fairness: the calibration and its per-group rates.
void RegisterEvalFairness(CLI::App* eval, const GlobalOptions& global, int* exit_code);
void RegisterVideo(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterCollection(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterKeys(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterAudit(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterServe(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterReport(CLI::App& app, const GlobalOptions& global, int* exit_code);

}  // namespace candor::cli

#endif  // CANDOR_CLI_COMMANDS_H_
