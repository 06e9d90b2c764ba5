#include "eval/eval_pipelines.h"

#include <cstdlib>
#include <fstream>
#include <opencv2/core.hpp>
#include <sstream>
#include <vector>

#include "models/model_pack.h"

namespace candor::eval {

StatusOr<std::unique_ptr<engine::PipelinePool>> LoadEvalPipelines(const std::string& model_dir,
                                                                  int threads) {
  std::string dir = model_dir;
  if (dir.empty()) {
    const char* env = std::getenv("CANDOR_MODELS");
    dir = env != nullptr && *env != '\0' ? env : CANDOR_DEFAULT_MODEL_DIR;
  }
  if (threads < 1) return Status::InvalidArgument("threads must be at least 1");
  CANDOR_ASSIGN_OR_RETURN(
      models::ModelPack pack,
      models::ModelPack::Load(std::string(CANDOR_SOURCE_DIR) + "/models/manifest.json", dir));
  if (threads > 1) cv::setNumThreads(1);  // parallel across images instead
  std::vector<std::unique_ptr<engine::Pipeline>> pipelines;
  for (int i = 0; i < threads; ++i) {
    CANDOR_ASSIGN_OR_RETURN(auto pipeline, engine::Pipeline::Create(pack));
    pipelines.push_back(std::move(pipeline));
  }
  return std::make_unique<engine::PipelinePool>(std::move(pipelines));
}

StatusOr<std::string> ReadEvalFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read " + path);
  return ss.str();
}

}  // namespace candor::eval
