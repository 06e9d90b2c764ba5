// Verification metrics over scored pairs: the LFW 10-fold protocol, EER,
// true-accept rate at a false-accept rate, ROC points.
//
// Thread safety: pure functions.
#ifndef CANDOR_EVAL_METRICS_H_
#define CANDOR_EVAL_METRICS_H_

#include <cstddef>
#include <vector>

namespace candor::eval {

struct ScoredPair {
  float score = 0;  // higher: more alike
  bool same = false;
  int fold = 0;     // 0-based
};

struct FoldResult {
  float threshold = 0;  // chosen on the other folds
  double accuracy = 0;  // on this fold
};

struct VerificationReport {
  std::vector<FoldResult> folds;
  double mean_accuracy = 0;
  double std_accuracy = 0;  // population std over folds, as the LFW protocol reports
  double eer = 0;           // equal error rate over all pairs
  float eer_threshold = 0;
};

// Accuracy of `threshold` (score >= threshold: same) on `pairs`.
double AccuracyAt(const std::vector<ScoredPair>& pairs, float threshold);

// The threshold with the best accuracy on `pairs`, chosen among the midpoints
// between consecutive distinct scores (ties: the lowest such threshold).
float BestThreshold(const std::vector<ScoredPair>& pairs);

// The standard protocol: for each fold, the threshold is chosen on the other
// folds and the accuracy measured on it.
VerificationReport TenFold(const std::vector<ScoredPair>& pairs, int folds = 10);

// Equal error rate: where false-accept and false-reject rates cross
// (the mean of the two at the threshold where they are closest).
double EqualErrorRate(std::vector<float> genuine, std::vector<float> impostor, float* threshold);

// True-accept rate at the threshold where the false-accept rate is at most
// `far` (the threshold is the impostor score quantile).
double TarAtFar(const std::vector<float>& genuine, std::vector<float> impostor, double far,
                float* threshold = nullptr);

struct RocPoint {
  double far;
  double tar;
  float threshold;
};
// ROC sampled at the given false-accept rates.
std::vector<RocPoint> Roc(const std::vector<float>& genuine, const std::vector<float>& impostor,
                          const std::vector<double>& fars);


// Error rates at one threshold (score >= threshold: accepted as a match).
struct DetPoint {
  float threshold = 0;
  double fmr = 0;   // impostor pairs accepted / impostor pairs
  double fnmr = 0;  // genuine pairs rejected / genuine pairs
};
// The detection-error trade-off at each of `thresholds` (any order; the
// points come back in the same order). Empty sides give rates of 0.
std::vector<DetPoint> DetCurve(std::vector<float> genuine, std::vector<float> impostor,
                               const std::vector<float>& thresholds);

// Fraction of `scores` that are >= `threshold` (0 for no scores).
double RateAtOrAbove(const std::vector<float>& sorted_ascending, float threshold);

// Counts of `scores` in `bins` equal bins over [low, high); scores outside
// go to the first or last bin. bins >= 1.
std::vector<long long> Histogram(const std::vector<float>& scores, float low, float high, int bins);

// A square confusion matrix: counts[truth][predicted]. A value.
struct ConfusionMatrix {
  explicit ConfusionMatrix(int classes = 0)
      : counts(static_cast<std::size_t>(classes), std::vector<long long>(static_cast<std::size_t>(classes))) {}
  void Add(int truth, int predicted) { ++counts[truth][predicted]; }
  int classes() const { return static_cast<int>(counts.size()); }
  long long Total() const;
  long long Correct() const;  // the diagonal
  double Accuracy() const;    // Correct() / Total(); 0 when empty
  // Of the faces of class c, the share predicted c (0 when there are none).
  double Recall(int c) const;
  // Of the predictions of class c, the share that are c (0 when there are none).
  double Precision(int c) const;

  std::vector<std::vector<long long>> counts;
};

}  // namespace candor::eval

#endif  // CANDOR_EVAL_METRICS_H_
