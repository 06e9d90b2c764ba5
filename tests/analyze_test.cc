// FaceAnalyzer on real, labelled faces: every preprocessing choice of
// analyze/preprocess.cc and every class order is checked here, and where a
// plausible alternative (BGR for RGB, another normalisation) measures worse,
// the test shows it, so that a wrong constant fails a test.
//
// Data: $CANDOR_DATA, else CANDOR_DEFAULT_DATA_DIR (../shared/data): UTKFace,
// FER-2013 test, NUAA, LFW. Models: $CANDOR_MODELS, else the pack directory.
// Samples are fixed (every k-th file in name order), so results are
// deterministic; figures in comments were measured on exactly these samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "analyze/emotion.h"
#include "analyze/face_analyzer.h"
#include "analyze/face_analyzer_internal.h"
#include "analyze/face_measures.h"
#include "analyze/faceres.h"
#include "analyze/hopenet.h"
#include "analyze/preprocess.h"
#include "detect/face_detector.h"
#include "detect/landmarker.h"
#include "models/dnn_net.h"
#include "models/model_pack.h"
#include "test_support.h"

namespace candor::analyze {
namespace {

namespace fs = std::filesystem;

using candor::testing::DataDir;

std::string ModelDir() {
  const char* value = std::getenv("CANDOR_MODELS");
  return value != nullptr && *value != '\0' ? value : CANDOR_DEFAULT_MODEL_DIR;
}

std::vector<std::string> SortedFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// One face, located by the project's own detector and landmarker.
struct Sample {
  std::string path;
  cv::Mat bgr;
  cv::Mat grey;
  BoundingBox box;
  Landmarks68 landmarks{};
  bool detected = false;
  FaceRegion Region() const { return {bgr, grey, box, landmarks}; }
};

// Area under the ROC curve: the probability that a positive scores above a
// negative (ties count half).
double Auc(const std::vector<float>& positives, const std::vector<float>& negatives) {
  double wins = 0;
  for (float p : positives) {
    for (float n : negatives) wins += p > n ? 1.0 : (p == n ? 0.5 : 0.0);
  }
  return wins / (static_cast<double>(positives.size()) * negatives.size());
}

double Correlation(const std::vector<float>& x, const std::vector<float>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    syy += y[i] * y[i];
    sxy += x[i] * y[i];
  }
  const double cov = sxy / n - sx / n * sy / n;
  return cov / std::sqrt((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n));
}

float Percent(const BoolAttribute& a, bool value) {
  return a.value == value ? a.confidence : 100.f - a.confidence;
}

// ---------------------------------------------------------------------------
// Decoders, no network.

TEST(FaceResTest, AgeIsOnePlusTheExpectationAndTheRangeACentralInterval) {
  FaceResAgeProbabilities p{};
  p[29] = 1;  // all mass on class 29: 30 years, a range of one year
  AgeRange age = AgeFromFaceRes(p, 0.8);
  EXPECT_NEAR(age.estimate, 30.f, 1e-4);
  EXPECT_EQ(age.low, 30);
  EXPECT_EQ(age.high, 31);  // widened to span a year
  p = {};
  for (int i = 20; i < 40; ++i) p[i] = 0.05f;  // uniform over ages 21..40
  age = AgeFromFaceRes(p, 0.8);
  EXPECT_NEAR(age.estimate, 1 + 29.5f, 1e-3);
  EXPECT_EQ(age.low, 22);   // the cumulative reaches 0.1 at the 2nd class
  EXPECT_EQ(age.high, 38);  // and 0.9 at the 18th
  age = AgeFromFaceRes(p, 0.5);
  EXPECT_EQ(age.low, 25);   // 0.25 at the 5th class
  EXPECT_EQ(age.high, 35);  // 0.75 at the 15th
  p = {};
  p[9] = 0.5f;  // two modes, 10 and 60 years: the estimate (35) lies between
  p[59] = 0.5f;
  age = AgeFromFaceRes(p, 0.5);
  EXPECT_NEAR(age.estimate, 35.f, 1e-3);
  EXPECT_LE(age.low, 10);
  EXPECT_GE(age.high, 60);
}

// The sigmoid is P(male), cut at kFaceResMaleThreshold; the confidence is
// 50 at the cut and 100 at either end.
TEST(FaceResTest, SigmoidIsProbabilityOfMaleCutWhereErrorsAreEqual) {
  FaceResAgeProbabilities adult{};
  adult[29] = 1;  // 30 years
  const float cut = kFaceResMaleThreshold;
  ASSERT_GT(cut, 0.5f);
  ASSERT_LT(cut, 1.f);
  EXPECT_FALSE(FemaleFromFaceRes(adult, 0.9f)->value);
  EXPECT_NEAR(FemaleFromFaceRes(adult, 0.9f)->confidence, 50 + 50 * (0.9f - cut) / (1 - cut), 1e-3);
  EXPECT_TRUE(FemaleFromFaceRes(adult, 0.2f)->value);
  EXPECT_NEAR(FemaleFromFaceRes(adult, 0.2f)->confidence, 50 + 50 * (cut - 0.2f) / cut, 1e-3);
  // Between 0.5 and the cut: female, with little confidence.
  EXPECT_TRUE(FemaleFromFaceRes(adult, 0.6f)->value);
  EXPECT_LT(FemaleFromFaceRes(adult, 0.6f)->confidence, 60.f);
  EXPECT_NEAR(FemaleFromFaceRes(adult, cut)->confidence, 50.f, 1e-3);
  EXPECT_NEAR(FemaleFromFaceRes(adult, 1.5f)->confidence, 100.f, 1e-3);   // clamped
  EXPECT_NEAR(FemaleFromFaceRes(adult, -0.5f)->confidence, 100.f, 1e-3);  // clamped
}

// No gender for a face whose age estimate is under kGenderMinimumAge.
TEST(FaceResTest, NoGenderForTheVeryYoung) {
  FaceResAgeProbabilities p{};
  p[2] = 1;  // 3 years
  EXPECT_FALSE(FemaleFromFaceRes(p, 0.99f).has_value());
  EXPECT_FALSE(FemaleFromFaceRes(p, 0.01f).has_value());
  p = {};
  p[static_cast<int>(kGenderMinimumAge) - 1] = 1;  // exactly the minimum
  EXPECT_TRUE(FemaleFromFaceRes(p, 0.99f).has_value());
  p = {};
  p[0] = 0.5f;   // 1 year or 20 years: the estimate, 10.5, decides
  p[19] = 0.5f;
  EXPECT_TRUE(FemaleFromFaceRes(p, 0.99f).has_value());
}

TEST(HopenetAngleTest, ExpectationOverThreeDegreeBins) {
  std::vector<float> logits(kHopenetBins, 0.f);
  EXPECT_NEAR(HopenetAngle(logits.data()), 32.5f * 3 - 99, 1e-3);  // uniform
  logits[33] = 100.f;                                              // all mass on bin 33: 0 degrees
  EXPECT_NEAR(HopenetAngle(logits.data()), 0.f, 1e-3);
  logits[33] = 0.f;
  logits[0] = 100.f;
  EXPECT_NEAR(HopenetAngle(logits.data()), -99.f, 1e-3);
}

TEST(EmotionsTest, PercentSortedAndNeutralIsCalm) {
  ExpressionProbabilities p{};
  p[6] = 0.6f;  // neutral
  p[3] = 0.3f;  // happy
  p[0] = 0.1f - 1e-6f;  // angry; the sum is 1 only up to rounding
  const std::vector<Emotion> emotions = EmotionsFromProbabilities(p);
  ASSERT_EQ(emotions.size(), 7u);
  EXPECT_EQ(emotions[0].type, EmotionType::kCalm);
  EXPECT_NEAR(emotions[0].confidence, 60.f, 1e-3);
  EXPECT_EQ(emotions[1].type, EmotionType::kHappy);
  EXPECT_EQ(emotions[2].type, EmotionType::kAngry);
  float sum = 0;
  for (size_t i = 0; i < emotions.size(); ++i) {
    sum += emotions[i].confidence;
    if (i > 0) {
      EXPECT_GE(emotions[i - 1].confidence, emotions[i].confidence);
    }
  }
  EXPECT_NEAR(sum, 100.f, 1e-4);
}

TEST(FaceMeasuresTest, MouthRatioFromInnerLips) {
  Landmarks68 p{};
  p[48] = {0, 0};
  p[54] = {40, 0};
  for (int i : {61, 62, 63}) p[i] = {20, -4};
  for (int i : {65, 66, 67}) p[i] = {20, 4};
  EXPECT_NEAR(MouthOpenRatio(p), 8.f / 40, 1e-6);
  EXPECT_TRUE(MouthOpenFrom(p).value);
  for (int i : {65, 66, 67}) p[i] = {20, -4};
  EXPECT_FALSE(MouthOpenFrom(p).value);
  EXPECT_GE(MouthOpenFrom(p).confidence, 50.f);
}

TEST(FaceMeasuresTest, SmileFollowsHappy) {
  const Landmarks68 p{};
  EXPECT_TRUE(SmileFrom(80.f, p).value);
  EXPECT_NEAR(SmileFrom(80.f, p).confidence, 80.f, 1e-4);
  EXPECT_FALSE(SmileFrom(10.f, p).value);
  EXPECT_NEAR(SmileFrom(10.f, p).confidence, 90.f, 1e-4);
}

// ---------------------------------------------------------------------------
// Networks on real faces.

class AnalyzeDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string model_dir = ModelDir();
    auto pack = models::ModelPack::Load(std::string(CANDOR_SOURCE_DIR) + "/models/manifest.json",
                                        model_dir);
    if (!pack.ok()) {
      skip_reason_ = new std::string("model pack unavailable: " + pack.status().ToString());
      return;
    }
    if (!fs::exists(DataDir() + "/utkface/images")) {
      skip_reason_ = new std::string("evaluation data not found under " + DataDir());
      return;
    }
    pack_ = new models::ModelPack(std::move(pack).value());
    auto detector_net = models::DnnNet::Load(*pack_->PathOf("detect"));
    auto landmark_net = models::DnnNet::Load(*pack_->PathOf("landmark"));
    ASSERT_TRUE(detector_net.ok()) << detector_net.status().ToString();
    ASSERT_TRUE(landmark_net.ok()) << landmark_net.status().ToString();
    detector_ = new detect::FaceDetector(std::move(detector_net).value());
    landmarker_ = new detect::Landmarker(std::move(landmark_net).value());
    auto analyzer = FaceAnalyzer::Create(*pack_);
    ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    analyzer_ = analyzer->release();
  }

  static void TearDownTestSuite() {
    delete analyzer_;
    delete landmarker_;
    delete detector_;
    delete pack_;
    delete skip_reason_;
    analyzer_ = nullptr;
    landmarker_ = nullptr;
    detector_ = nullptr;
    pack_ = nullptr;
    skip_reason_ = nullptr;
  }

  void SetUp() override {
    if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
  }

  // Reads an image (optionally upscaled to a square of `upscale` pixels) and
  // finds its largest face; without one, the whole image is the box.
  static Sample Prepare(const std::string& path, int upscale = 0) {
    Sample s;
    s.path = path;
    s.bgr = cv::imread(path, cv::IMREAD_COLOR);
    EXPECT_FALSE(s.bgr.empty()) << path;
    if (s.bgr.empty()) return s;
    if (upscale > 0) cv::resize(s.bgr, s.bgr, cv::Size(upscale, upscale), 0, 0, cv::INTER_CUBIC);
    Refresh(&s);
    auto boxes = detector_->Detect(s.bgr, detect::DetectorOptions{});
    EXPECT_TRUE(boxes.ok()) << boxes.status().ToString();
    s.detected = boxes.ok() && !boxes->empty();
    s.box = s.detected
                ? (*boxes)[0].box
                : BoundingBox{0, 0, static_cast<float>(s.bgr.cols), static_cast<float>(s.bgr.rows)};
    auto points = landmarker_->Predict(s.grey, s.box, detect::LandmarkerOptions{});
    EXPECT_TRUE(points.ok()) << points.status().ToString();
    if (points.ok()) s.landmarks = *points;
    return s;
  }

  static void Refresh(Sample* s) { cv::cvtColor(s->bgr, s->grey, cv::COLOR_BGR2GRAY); }

  // The sample mirrored left-right, box and landmarks included (iBUG
  // indices are not re-paired: only the eyes' crops use them, symmetrically).
  static Sample Mirrored(const Sample& s) {
    Sample m = s;
    m.bgr = cv::Mat();
    cv::flip(s.bgr, m.bgr, 1);
    Refresh(&m);
    m.box.left = static_cast<float>(s.bgr.cols) - s.box.right();
    for (Point& p : m.landmarks) p.x = static_cast<float>(s.bgr.cols) - 1 - p.x;
    return m;
  }

  // UTKFace: every 30th file from the 3rd (200 faces; 28 of them were among
  // the 1,000 images FaceRes's crop was tuned on); the folder holds
  // 600 faces per gender x race group, so the sample is near balanced.
  struct UtkFace {
    Sample sample;
    int age = 0;
    bool female = false;
  };
  static const std::vector<UtkFace>& UtkSample() {
    static const std::vector<UtkFace>* faces = [] {
      auto* out = new std::vector<UtkFace>;
      const std::vector<std::string> files = SortedFiles(DataDir() + "/utkface/images");
      for (size_t i = 2; i < files.size(); i += 30) {
        int age = 0, gender = 0, race = 0;
        if (std::sscanf(fs::path(files[i]).filename().c_str(), "%d_%d_%d", &age, &gender, &race) !=
            3) {
          continue;
        }
        out->push_back({Prepare(files[i]), age, gender == 1});
      }
      return out;
    }();
    return *faces;
  }

  // LFW: every 80th image in path order (97 faces).
  static const std::vector<Sample>& LfwSample() {
    static const std::vector<Sample>* faces = [] {
      auto* out = new std::vector<Sample>;
      std::vector<std::string> files;
      std::error_code error;
      for (const auto& entry : fs::recursive_directory_iterator(DataDir() + "/lfw/images", error)) {
        if (entry.is_regular_file() && entry.path().extension() == ".jpg") {
          files.push_back(entry.path().string());
        }
      }
      std::sort(files.begin(), files.end());
      for (size_t i = 0; i < files.size(); i += 80) {
        Sample s = Prepare(files[i]);
        if (s.detected) out->push_back(std::move(s));
      }
      return out;
    }();
    return *faces;
  }

  static std::unique_ptr<FaceAnalyzer> AnalyzerWith(const AnalyzerInputs& inputs) {
    auto analyzer = CreateFaceAnalyzer(*pack_, inputs);
    EXPECT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    return analyzer.ok() ? std::move(analyzer).value() : nullptr;
  }

  static models::ModelPack* pack_;
  static detect::FaceDetector* detector_;
  static detect::Landmarker* landmarker_;
  static FaceAnalyzer* analyzer_;
  static std::string* skip_reason_;
};

models::ModelPack* AnalyzeDataTest::pack_ = nullptr;
detect::FaceDetector* AnalyzeDataTest::detector_ = nullptr;
detect::Landmarker* AnalyzeDataTest::landmarker_ = nullptr;
FaceAnalyzer* AnalyzeDataTest::analyzer_ = nullptr;
std::string* AnalyzeDataTest::skip_reason_ = nullptr;

TEST_F(AnalyzeDataTest, RejectsEmptyInput) {
  const cv::Mat empty;
  const BoundingBox box{0, 0, 10, 10};
  const Landmarks68 points{};
  const FaceRegion region{empty, empty, box, points};
  EXPECT_EQ(analyzer_->Age(region).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(analyzer_->HeadPose(region).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(analyzer_->Liveness(region).status().code(), StatusCode::kInvalidArgument);
}

// Age: HSE FaceRes on UTKFace. Measured on this sample (200 faces): MAE
// 5.72 years (6.41 with RGB input), correlation with the true age 0.905;
// true age inside AgeRange for 0.745 of faces, mean width 15.6 years (0.505
// with the central half of the distribution instead of 80%: the softmax is
// roughly calibrated). A constant guess of the median age scores MAE about
// 13.7 on UTKFace; SSR-Net, the network before, scored 15.99 on this
// sample. Bounds: the measured figures with about two standard errors of
// slack.
TEST_F(AnalyzeDataTest, AgeOnUtkFace) {
  auto rgb_inputs = DefaultAnalyzerInputs();
  rgb_inputs.age_gender.rgb = true;
  auto rgb = AnalyzerWith(rgb_inputs);
  ASSERT_NE(rgb, nullptr);
  auto half_inputs = DefaultAnalyzerInputs();
  half_inputs.age_range_mass = 0.5;
  auto half = AnalyzerWith(half_inputs);
  ASSERT_NE(half, nullptr);
  std::vector<float> truth, estimate;
  double abs_error = 0, abs_error_rgb = 0, width = 0;
  int inside = 0, inside_half = 0;
  for (const UtkFace& face : UtkSample()) {
    auto age = analyzer_->Age(face.sample.Region());
    auto age_rgb = rgb->Age(face.sample.Region());
    auto age_half = half->Age(face.sample.Region());
    ASSERT_TRUE(age.ok() && age_rgb.ok() && age_half.ok());
    EXPECT_LT(age->low, age->high);
    EXPECT_LE(age->low, age->estimate + 0.5f);
    EXPECT_GE(age->high, age->estimate - 0.5f);
    EXPECT_LE(age_half->high - age_half->low, age->high - age->low);
    truth.push_back(face.age);
    estimate.push_back(age->estimate);
    abs_error += std::abs(age->estimate - face.age);
    abs_error_rgb += std::abs(age_rgb->estimate - face.age);
    width += age->high - age->low;
    inside += face.age >= age->low && face.age <= age->high;
    inside_half += face.age >= age_half->low && face.age <= age_half->high;
  }
  const double n = static_cast<double>(truth.size());
  ASSERT_GE(n, 150);
  const double mae = abs_error / n, mae_rgb = abs_error_rgb / n;
  const double coverage = inside / n, coverage_half = inside_half / n;
  const double corr = Correlation(truth, estimate);
  std::printf(
      "age: n=%.0f MAE %.2f (RGB %.2f) corr %.3f; range mean width %.1f, coverage %.3f "
      "(central half: %.3f)\n",
      n, mae, mae_rgb, corr, width / n, coverage, coverage_half);
  EXPECT_LT(mae, 6.5);
  EXPECT_GT(corr, 0.85);
  EXPECT_LT(mae, mae_rgb - 0.3);
  EXPECT_GT(coverage, 0.68);
  EXPECT_GT(coverage_half, 0.40);
  // A range that always holds the age says nothing.
  EXPECT_LT(width / n, 20.0);
  EXPECT_LT(coverage, 0.9);
}

// Gender on this sample (97 women, 103 men): faces judged under
// kGenderMinimumAge get none, and nearly all of those are children; of the
// rest, women and men are both told right far more often than by chance.
// The AUC of the female percent, women against men, is higher with BGR than
// with RGB input (the age test is the one that tells the colour orders
// apart clearly). If the sigmoid's direction were wrong (P(female)),
// accuracy and AUC would fall below 0.5. Measured here: see the printf.
TEST_F(AnalyzeDataTest, GenderOnUtkFace) {
  auto rgb_inputs = DefaultAnalyzerInputs();
  rgb_inputs.age_gender.rgb = true;
  auto rgb = AnalyzerWith(rgb_inputs);
  ASSERT_NE(rgb, nullptr);
  std::vector<float> women, men, women_rgb, men_rgb;
  int told = 0, correct = 0, women_told = 0, women_correct = 0, men_told = 0, men_correct = 0;
  int withheld = 0, withheld_children = 0;
  for (const UtkFace& face : UtkSample()) {
    auto female = analyzer_->IsFemale(face.sample.Region());
    auto female_rgb = rgb->IsFemale(face.sample.Region());
    ASSERT_TRUE(female.ok() && female_rgb.ok());
    if (!female->has_value()) {
      ++withheld;
      withheld_children += face.age < 13;
      continue;
    }
    const BoolAttribute& f = **female;
    EXPECT_GE(f.confidence, 50.f);
    EXPECT_LE(f.confidence, 100.f);
    ++told;
    correct += f.value == face.female;
    (face.female ? women_told : men_told) += 1;
    (face.female ? women_correct : men_correct) += f.value == face.female;
    if (!female_rgb->has_value()) continue;
    (face.female ? women : men).push_back(Percent(f, true));
    (face.female ? women_rgb : men_rgb).push_back(Percent(**female_rgb, true));
  }
  const double n = static_cast<double>(UtkSample().size());
  const double accuracy = static_cast<double>(correct) / told;
  const double women_accuracy = static_cast<double>(women_correct) / women_told;
  const double men_accuracy = static_cast<double>(men_correct) / men_told;
  const double auc = Auc(women, men), auc_rgb = Auc(women_rgb, men_rgb);
  std::printf("gender: n=%.0f withheld %d (%d under 13) told %d accuracy %.3f (women %.3f, men "
              "%.3f) AUC BGR %.3f RGB %.3f\n",
              n, withheld, withheld_children, told, accuracy, women_accuracy, men_accuracy, auc,
              auc_rgb);
  EXPECT_LT(withheld, 0.25 * n);
  EXPECT_GE(withheld_children, 0.8 * withheld);
  EXPECT_GT(accuracy, 0.90);
  EXPECT_GT(women_accuracy, 0.85);
  EXPECT_GT(men_accuracy, 0.85);
  EXPECT_GT(auc, 0.94);
  EXPECT_GT(auc, auc_rgb);
}

// Age and gender come from one FaceRes pass (face_analyzer.cc keeps the last
// one): asking again, or in the other order, gives the same answers, and a
// different face in the same buffer is not answered from the cache.
TEST_F(AnalyzeDataTest, AgeAndGenderShareOnePassWithoutStaleAnswers) {
  const std::vector<UtkFace>& faces = UtkSample();
  ASSERT_GE(faces.size(), 2u);
  auto fresh = AnalyzerWith(DefaultAnalyzerInputs());
  ASSERT_NE(fresh, nullptr);
  const auto a_age = analyzer_->Age(faces[0].sample.Region());
  const auto b_female = fresh->IsFemale(faces[1].sample.Region());
  ASSERT_TRUE(a_age.ok() && b_female.ok());
  // The same buffer, overwritten with face 1's pixels and box.
  Sample reused = faces[0].sample;
  reused.bgr = faces[0].sample.bgr.clone();
  const auto first = analyzer_->Age(reused.Region());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->estimate, a_age->estimate);
  faces[1].sample.bgr.copyTo(reused.bgr);  // reallocates only if the size differs
  reused.box = faces[1].sample.box;
  Refresh(&reused);
  const auto second = analyzer_->IsFemale(reused.Region());
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->has_value(), b_female->has_value());
  if (second->has_value()) {
    EXPECT_EQ((*second)->value, (*b_female)->value);
    EXPECT_EQ((*second)->confidence, (*b_female)->confidence);
  }
}

// Emotions on FER-2013 test: every 20th file of each class in name order
// (362 faces, in FER's own class proportions, as `candor eval attributes
// --fer-stride 20` samples them), each upscaled to 192x192 so that the
// detector can find it; where it does not (4), the whole image is the
// box, which is FER's own framing. Measured: top-1 accuracy 0.588 (chance
// 0.14, always "happy" 0.25; on all 7,178 test images 0.566, README),
// 0.575 with 0..1 input instead of the training's -1..1 (on 100 faces
// per class: 0.499 against 0.480); happy recall 78/89. Mouth open (same
// faces): surprise 23/42, neutral 8/62.
TEST_F(AnalyzeDataTest, EmotionsOnFer2013) {
  static const char* kClasses[kExpressionClasses] = {"angry", "disgust",  "fear",   "happy",
                                                     "sad",   "surprise", "neutral"};
  constexpr size_t kStride = 20;
  auto unit_inputs = DefaultAnalyzerInputs();
  unit_inputs.expression.pixel_scale = 1.0 / 255;
  unit_inputs.expression.mean = cv::Scalar::all(0);
  auto unit = AnalyzerWith(unit_inputs);
  ASSERT_NE(unit, nullptr);
  int n = 0, correct = 0, correct_unit = 0, missed = 0;
  int faces[kExpressionClasses] = {}, hits[kExpressionClasses] = {};
  int mouth_open[kExpressionClasses] = {};
  for (int c = 0; c < kExpressionClasses; ++c) {
    const std::vector<std::string> files = SortedFiles(DataDir() + "/fer2013_test/" + kClasses[c]);
    ASSERT_GE(files.size(), 100u) << kClasses[c];
    for (size_t k = 0; k < files.size(); k += kStride) {
      const Sample s = Prepare(files[k], 192);
      missed += !s.detected;
      auto emotions = analyzer_->Emotions(s.Region());
      auto emotions_unit = unit->Emotions(s.Region());
      ASSERT_TRUE(emotions.ok() && emotions_unit.ok());
      ASSERT_EQ(emotions->size(), 7u);
      float sum = 0;
      for (const Emotion& e : *emotions) sum += e.confidence;
      EXPECT_NEAR(sum, 100.f, 1e-3);
      ++n;
      ++faces[c];
      const bool hit = (*emotions)[0].type == kExpressionToEmotion[c];
      correct += hit;
      hits[c] += hit;
      correct_unit += (*emotions_unit)[0].type == kExpressionToEmotion[c];
      mouth_open[c] += analyzer_->MouthOpen(s.Region()).value;
    }
  }
  const double accuracy = static_cast<double>(correct) / n;
  const double accuracy_unit = static_cast<double>(correct_unit) / n;
  auto rate = [](int count, int total) { return static_cast<double>(count) / total; };
  std::printf("emotions: n=%d missed %d accuracy %.3f (0..1 input %.3f); recall:", n, missed,
              accuracy, accuracy_unit);
  for (int c = 0; c < kExpressionClasses; ++c) {
    std::printf(" %s %d/%d", kClasses[c], hits[c], faces[c]);
  }
  std::printf("\nmouth open: surprise %d/%d neutral %d/%d happy %d/%d\n", mouth_open[5], faces[5],
              mouth_open[6], faces[6], mouth_open[3], faces[3]);
  EXPECT_GT(accuracy, 0.52);
  EXPECT_GT(accuracy, accuracy_unit);
  EXPECT_GT(rate(hits[kHappyClass], faces[kHappyClass]), 0.78);
  EXPECT_GT(rate(mouth_open[5], faces[5]), rate(mouth_open[6], faces[6]) + 0.2);
}

// Pose: a mirrored face must give the opposite yaw and roll and the same
// pitch. Measured on 97 LFW faces: mean |yaw + yaw'| 3.1, mean |roll + roll'|
// 4.4, mean |pitch - pitch'| 1.4 degrees (a network that ignored the mirror
// would give about 2|yaw|, here 21); mean |yaw| 10.4. Yaw against the
// landmarks' nose offset: correlation -0.976 (RGB); BGR gives -0.966 here
// and -0.90 against -0.96 on another LFW sample, too close to assert.
TEST_F(AnalyzeDataTest, PoseMirrorSymmetryOnLfw) {
  auto bgr_inputs = DefaultAnalyzerInputs();
  bgr_inputs.pose.rgb = false;
  auto bgr = AnalyzerWith(bgr_inputs);
  ASSERT_NE(bgr, nullptr);
  double yaw_sum = 0, roll_sum = 0, pitch_diff = 0, abs_yaw = 0;
  std::vector<float> nose_offset, yaw, yaw_bgr;
  for (const Sample& s : LfwSample()) {
    auto pose = analyzer_->HeadPose(s.Region());
    auto mirrored = analyzer_->HeadPose(Mirrored(s).Region());
    auto pose_bgr = bgr->HeadPose(s.Region());
    ASSERT_TRUE(pose.ok() && mirrored.ok() && pose_bgr.ok());
    yaw_sum += std::abs(pose->yaw + mirrored->yaw);
    roll_sum += std::abs(pose->roll + mirrored->roll);
    pitch_diff += std::abs(pose->pitch - mirrored->pitch);
    abs_yaw += std::abs(pose->yaw);
    // The nose tip's offset from the eyes' midpoint, in interocular units.
    const Point& l = s.landmarks[39];
    const Point& r = s.landmarks[42];
    const float interocular = std::hypot(r.x - l.x, r.y - l.y);
    nose_offset.push_back((s.landmarks[30].x - (l.x + r.x) / 2) / interocular);
    yaw.push_back(pose->yaw);
    yaw_bgr.push_back(pose_bgr->yaw);
  }
  const double n = static_cast<double>(LfwSample().size());
  ASSERT_GE(n, 80);
  const double corr = Correlation(nose_offset, yaw), corr_bgr = Correlation(nose_offset, yaw_bgr);
  std::printf(
      "pose: n=%.0f |yaw+yaw'| %.2f |roll+roll'| %.2f |pitch-pitch'| %.2f |yaw| %.2f corr RGB %.3f "
      "BGR %.3f\n",
      n, yaw_sum / n, roll_sum / n, pitch_diff / n, abs_yaw / n, corr, corr_bgr);
  EXPECT_LT(yaw_sum / n, 6.0);
  EXPECT_LT(roll_sum / n, 7.0);
  EXPECT_LT(pitch_diff / n, 4.0);
  EXPECT_LT(abs_yaw / n, 25.0);
  EXPECT_LT(corr, -0.9);  // the nose moves to image-right as yaw goes negative
}

// Roll: rotating the image turns the head in the image plane. Hopenet's
// sign: an image rotated 20 degrees counter-clockwise (as displayed) reads
// roll about -22, clockwise about +17 (measured on these 10 faces: -19..-26
// and +14..+25).
TEST_F(AnalyzeDataTest, RollFollowsImageRotation) {
  for (size_t i = 0; i < 10 && i < LfwSample().size(); ++i) {
    const Sample& s = LfwSample()[i];
    float rolls[2];
    for (int k = 0; k < 2; ++k) {
      const double angle = k == 0 ? 20.0 : -20.0;  // degrees, counter-clockwise on screen
      Sample r = s;
      r.bgr = cv::Mat();
      const cv::Point2f centre(s.box.left + s.box.width / 2, s.box.top + s.box.height / 2);
      cv::warpAffine(s.bgr, r.bgr, cv::getRotationMatrix2D(centre, angle, 1.0), s.bgr.size(),
                     cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      Refresh(&r);
      auto pose = analyzer_->HeadPose(r.Region());
      ASSERT_TRUE(pose.ok());
      rolls[k] = pose->roll;
    }
    EXPECT_LT(rolls[0], -10.f) << s.path;
    EXPECT_GT(rolls[1], 10.f) << s.path;
  }
}

// Eyes: class 1 is "open". Measured on 97 LFW faces: 77 are called open
// (mean open probability 75%); painting both eyes over with the skin colour
// below them lowers the open probability on 86 of them, to 26.5% on average.
// With the classes swapped, most LFW faces would read closed.
TEST_F(AnalyzeDataTest, EyesOpenOnLfwAndPaintedShut) {
  int open = 0, lower = 0;
  double before = 0, after = 0;
  for (const Sample& s : LfwSample()) {
    auto eyes = analyzer_->EyesOpen(s.Region());
    ASSERT_TRUE(eyes.ok());
    Sample painted = s;
    painted.bgr = s.bgr.clone();
    for (int eye = 0; eye < 2; ++eye) {
      const int first = 36 + 6 * eye;
      Point centre;
      for (int i = first; i < first + 6; ++i) {
        centre.x += s.landmarks[i].x / 6;
        centre.y += s.landmarks[i].y / 6;
      }
      const Point& a = s.landmarks[first];
      const Point& b = s.landmarks[first + 3];
      const float width = std::hypot(b.x - a.x, b.y - a.y);
      // The lids' polygon, grown so that lashes and lid edges go too.
      std::vector<cv::Point> polygon;
      for (int i = first; i < first + 6; ++i) {
        polygon.emplace_back(static_cast<int>(centre.x + (s.landmarks[i].x - centre.x) * 1.4f),
                             static_cast<int>(centre.y + (s.landmarks[i].y - centre.y) * 2.0f));
      }
      const cv::Rect skin = cv::Rect(cv::Point(static_cast<int>(centre.x - width / 3),
                                               static_cast<int>(centre.y + width * 0.6f)),
                                     cv::Point(static_cast<int>(centre.x + width / 3),
                                               static_cast<int>(centre.y + width * 0.9f))) &
                            cv::Rect(0, 0, s.bgr.cols, s.bgr.rows);
      ASSERT_GT(skin.area(), 0);
      cv::fillConvexPoly(painted.bgr, polygon, cv::mean(s.bgr(skin)));
    }
    Refresh(&painted);
    auto painted_eyes = analyzer_->EyesOpen(painted.Region());
    ASSERT_TRUE(painted_eyes.ok());
    open += eyes->value;
    before += Percent(*eyes, true);
    after += Percent(*painted_eyes, true);
    lower += Percent(*painted_eyes, true) < Percent(*eyes, true);
  }
  const double n = static_cast<double>(LfwSample().size());
  std::printf("eyes: n=%.0f open %d lower %d p_open %.1f -> %.1f\n", n, open, lower, before / n,
              after / n);
  EXPECT_GT(open, 0.7 * n);
  EXPECT_GT(lower, 0.8 * n);
  EXPECT_LT(after / n, before / n - 30);
}

// Liveness on NUAA: every 3rd file of live/ and attack/ (100 + 100).
// Measured: AUC 1.000 with BGR (mean live probability 1.00 on live faces,
// 0.00 on attacks), 0.740 with RGB. With class 0 not the live class the AUC
// would be near or below 0.5.
TEST_F(AnalyzeDataTest, LivenessOnNuaa) {
  auto rgb_inputs = DefaultAnalyzerInputs();
  rgb_inputs.liveness.rgb = true;
  auto rgb = AnalyzerWith(rgb_inputs);
  ASSERT_NE(rgb, nullptr);
  std::vector<float> scores[2], scores_rgb[2];
  for (int attack = 0; attack < 2; ++attack) {
    const std::vector<std::string> files =
        SortedFiles(DataDir() + (attack ? "/spoof_nuaa/attack" : "/spoof_nuaa/live"));
    for (size_t i = 0; i < files.size(); i += 3) {
      const Sample s = Prepare(files[i]);
      auto live = analyzer_->Liveness(s.Region());
      auto live_rgb = rgb->Liveness(s.Region());
      ASSERT_TRUE(live.ok() && live_rgb.ok());
      EXPECT_GE(*live, 0.f);
      EXPECT_LE(*live, 1.f);
      scores[attack].push_back(*live);
      scores_rgb[attack].push_back(*live_rgb);
    }
  }
  const double auc = Auc(scores[0], scores[1]), auc_rgb = Auc(scores_rgb[0], scores_rgb[1]);
  std::printf("liveness: live %zu attack %zu AUC BGR %.3f RGB %.3f\n", scores[0].size(),
              scores[1].size(), auc, auc_rgb);
  EXPECT_GT(auc, 0.95);
  EXPECT_GT(auc, auc_rgb + 0.1);
}

// Quality: blur must lower sharpness, darkening must lower brightness.
// Measured on 97 LFW faces: sharpness 59.4 on average (median 57.5), 20.6
// after a Gaussian blur of sigma 2; brightness 49.5, 24.4 at half the light.
TEST_F(AnalyzeDataTest, QualityRespondsToBlurAndLight) {
  double sharp = 0, blurred = 0, bright = 0, dark = 0;
  std::vector<float> sharpness;
  for (const Sample& s : LfwSample()) {
    const ImageQuality q = analyzer_->Quality(s.Region());
    Sample b = s;
    b.bgr = cv::Mat();
    cv::GaussianBlur(s.bgr, b.bgr, cv::Size(0, 0), 2.0);
    Refresh(&b);
    Sample d = s;
    d.bgr = s.bgr * 0.5;
    Refresh(&d);
    const ImageQuality qb = analyzer_->Quality(b.Region());
    const ImageQuality qd = analyzer_->Quality(d.Region());
    sharp += q.sharpness;
    blurred += qb.sharpness;
    bright += q.brightness;
    dark += qd.brightness;
    sharpness.push_back(q.sharpness);
    EXPECT_GE(q.sharpness, 0.f);
    EXPECT_LE(q.sharpness, 100.f);
    EXPECT_GE(q.brightness, 0.f);
    EXPECT_LE(q.brightness, 100.f);
  }
  const double n = static_cast<double>(LfwSample().size());
  std::sort(sharpness.begin(), sharpness.end());
  std::printf("quality: sharpness %.1f -> blurred %.1f (median %.1f) brightness %.1f -> %.1f\n",
              sharp / n, blurred / n, sharpness[sharpness.size() / 2], bright / n, dark / n);
  EXPECT_LT(blurred, 0.6 * sharp);
  EXPECT_NEAR(dark / n, 0.5 * bright / n, 2.0);
  EXPECT_GT(sharpness[sharpness.size() / 2], 35.f);
  EXPECT_LT(sharpness[sharpness.size() / 2], 80.f);
}

}  // namespace
}  // namespace candor::analyze
