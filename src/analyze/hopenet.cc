#include "analyze/hopenet.h"

#include <array>

#include "analyze/emotion.h"

namespace candor::analyze {

float HopenetAngle(const float* logits) {
  std::array<float, kHopenetBins> p;
  for (int i = 0; i < kHopenetBins; ++i) p[i] = logits[i];
  SoftmaxInPlace(p.data(), kHopenetBins);
  float expectation = 0;
  for (int i = 0; i < kHopenetBins; ++i) expectation += p[i] * i;
  return expectation * 3.f - 99.f;
}

}  // namespace candor::analyze
