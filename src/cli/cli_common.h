// Shared plumbing of the `candor` subcommands.
#ifndef CANDOR_CLI_CLI_COMMON_H_
#define CANDOR_CLI_CLI_COMMON_H_

#include <memory>
#include <string>
#include <vector>

#include "candor/engine.h"
#include "candor/status.h"

namespace candor::cli {

// Options every subcommand that runs the engine accepts.
struct GlobalOptions {
  std::string model_dir;
  int workers = 0;
};

StatusOr<std::unique_ptr<Engine>> MakeEngine(const GlobalOptions& global,
                                             EngineOptions options = {});

// Image files named on the command line: files as given, directories walked
// recursively for image extensions, sorted. Missing paths are an error.
StatusOr<std::vector<std::string>> ExpandImagePaths(const std::vector<std::string>& args);

StatusOr<std::string> ReadFileBytes(const std::string& path);

// Prints "candor: <error>" to stderr and returns the exit code for it.
int Fail(const Status& status);

// The data directory: --data if given, else $CANDOR_DATA, else ../shared/data
// beside the source tree.
std::string DataDir(const std::string& flag);

}  // namespace candor::cli

#endif  // CANDOR_CLI_CLI_COMMON_H_
