// For tests: a FaceAnalyzer with other input specs than the defaults, so
// that a test can show the defaults measure better than a plausible
// alternative.
#ifndef CANDOR_ANALYZE_FACE_ANALYZER_INTERNAL_H_
#define CANDOR_ANALYZE_FACE_ANALYZER_INTERNAL_H_

#include <memory>

#include "analyze/face_analyzer.h"
#include "analyze/preprocess.h"

namespace candor::analyze {

StatusOr<std::unique_ptr<FaceAnalyzer>> CreateFaceAnalyzer(const models::ModelPack& pack,
                                                           const AnalyzerInputs& inputs);

}  // namespace candor::analyze

#endif  // CANDOR_ANALYZE_FACE_ANALYZER_INTERNAL_H_
