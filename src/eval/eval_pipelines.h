// The networks an evaluation runs directly (below the engine facade), when it
// must call one network alone: detection without landmarks, one attribute
// network without the others.
//
// Thread safety: the pool hands each caller its own Pipeline (see
// engine/pipeline.h).
#ifndef CANDOR_EVAL_EVAL_PIPELINES_H_
#define CANDOR_EVAL_EVAL_PIPELINES_H_

#include <memory>
#include <string>

#include "candor/status.h"
#include "engine/pipeline.h"

namespace candor::eval {

// `threads` pipelines from the model pack in `model_dir` (empty:
// $CANDOR_MODELS, else the pack the build was configured with) and the
// manifest of the source tree. Sets OpenCV to one thread per forward pass
// when threads > 1.
StatusOr<std::unique_ptr<engine::PipelinePool>> LoadEvalPipelines(const std::string& model_dir,
                                                                  int threads);

// The whole file; IOError naming it otherwise.
StatusOr<std::string> ReadEvalFile(const std::string& path);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_EVAL_PIPELINES_H_
