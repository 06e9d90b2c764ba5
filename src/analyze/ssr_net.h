// SSR-Net's stage-wise soft regression, as a pure function so that the merge
// formula can be tested without a network.
//
// Thread safety: pure functions.
#ifndef CANDOR_ANALYZE_SSR_NET_H_
#define CANDOR_ANALYZE_SSR_NET_H_

#include <array>
#include <string>
#include <vector>

namespace candor::analyze {

// The nine outputs of fr_age.onnx / fr_gender.onnx, in the order they must be
// requested so that their concatenation is the 21 numbers SsrNetMerge reads.
const std::vector<std::string>& SsrNetOutputNames();

// The 21 numbers: stage probabilities p1[3] p2[3] p3[3], the scale deltas
// delta1..3, then the index offsets eta1[3] eta2[3] eta3[3].
using SsrNetOutputs = std::array<float, 21>;

// Yang et al., "SSR-Net: A Compact Soft Stagewise Regression Network for Age
// Estimation", IJCAI 2018, eq. 6-7, with s1 = s2 = s3 = 3 bins a stage and
// lambda_local = lambda_d = 1 (the values of the authors' Keras model,
// SSRNet_model.py): returns the regressed value in 0..1 (before scaling by
// V = 101 for age, 1 for gender).
float SsrNetMerge(const SsrNetOutputs& x);

}  // namespace candor::analyze

#endif  // CANDOR_ANALYZE_SSR_NET_H_
