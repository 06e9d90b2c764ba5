#include "analyze/ssr_net.h"

namespace candor::analyze {

const std::vector<std::string>& SsrNetOutputNames() {
  static const std::vector<std::string> kNames = {
      "prob_stage_1",        "prob_stage_2",        "prob_stage_3",
      "stage1_delta_k",      "stage2_delta_k",      "stage3_delta_k",
      "index_offset_stage1", "index_offset_stage2", "index_offset_stage3"};
  return kNames;
}

float SsrNetMerge(const SsrNetOutputs& x) {
  constexpr int kBins = 3;  // s_k, bins per stage
  // Each stage's bin width shrinks by s_k * (1 + delta_k) (dynamic range).
  const float width1 = kBins * (1 + x[9]);
  const float width2 = width1 * kBins * (1 + x[10]);
  const float width3 = width2 * kBins * (1 + x[11]);
  float a = 0, b = 0, c = 0;
  for (int i = 0; i < kBins; ++i) {
    a += (i + x[12 + i]) * x[0 + i];
    b += (i + x[15 + i]) * x[3 + i];
    c += (i + x[18 + i]) * x[6 + i];
  }
  return a / width1 + b / width2 + c / width3;
}

}  // namespace candor::analyze
