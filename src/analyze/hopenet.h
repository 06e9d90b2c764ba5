// Hopenet's binned-angle head, as a pure function.
//
// Thread safety: pure functions.
#ifndef CANDOR_ANALYZE_HOPENET_H_
#define CANDOR_ANALYZE_HOPENET_H_

namespace candor::analyze {

// Ruiz et al., "Fine-Grained Head Pose Estimation Without Keypoints", CVPRW
// 2018: 66 bins of 3 degrees from -99; the angle is the expectation of the
// softmax over the bins, sum(p_i * i) * 3 - 99 (test_hopenet.py).
inline constexpr int kHopenetBins = 66;
float HopenetAngle(const float* logits);

}  // namespace candor::analyze

#endif  // CANDOR_ANALYZE_HOPENET_H_
