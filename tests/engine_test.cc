// The engine through its public API on real faces from the shared data.
#include "candor/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <cmath>
#include <thread>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "eval/lfw.h"
#include "test_support.h"

namespace candor {
namespace {

using testing::DataDir;
using testing::ReadFile;

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto e = Engine::Create({});
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value().release();
  }
  static Engine* engine_;
};
Engine* EngineTest::engine_ = nullptr;

std::string Video(const std::string& name) { return ReadFile(DataDir() + "/video/" + name); }

std::string EncodeJpeg(const cv::Mat& m) {
  std::vector<uint8_t> out;
  cv::imencode(".jpg", m, out, {cv::IMWRITE_JPEG_QUALITY, 95});
  return std::string(out.begin(), out.end());
}

TEST_F(EngineTest, TwoPeopleHasExactlyTwoFaces) {
  auto r = engine_->DetectFaces(Video("two_people.jpg"), AttributeSet::kDefault);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->faces.size(), 2u);
  // Obama stands left, Biden right; both faces are in the top half.
  for (const Face& f : r->faces) {
    EXPECT_GT(f.confidence, 90.f);
    EXPECT_LT(f.box.bottom(), r->image.height * 0.5f);
  }
  EXPECT_EQ(r->image.width, 1126);
  EXPECT_EQ(r->image.height, 661);
}

TEST_F(EngineTest, FacesInExifRotatedCopiesAreFoundAtTheSamePlaces) {
  const std::string original = Video("two_people.jpg");
  auto upright = engine_->DetectFaces(original, AttributeSet::kDefault);
  ASSERT_TRUE(upright.ok());
  const cv::Mat pixels = cv::imdecode(std::vector<uint8_t>(original.begin(), original.end()),
                                      cv::IMREAD_COLOR);
  // Pixels stored rotated, with the EXIF tag that says how to turn them
  // upright: 6 = rotate 90 clockwise to display, 3 = 180, 8 = 270.
  struct Case {
    int tag;
    cv::RotateFlags stored_as;
    Orientation expected;
  };
  for (const Case& c : {Case{6, cv::ROTATE_90_COUNTERCLOCKWISE, Orientation::kRotate90},
                        Case{3, cv::ROTATE_180, Orientation::kRotate180},
                        Case{8, cv::ROTATE_90_CLOCKWISE, Orientation::kRotate270}}) {
    cv::Mat stored;
    cv::rotate(pixels, stored, c.stored_as);
    auto r = engine_->DetectFaces(testing::WithExifOrientation(EncodeJpeg(stored), c.tag),
                                  AttributeSet::kDefault);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->image.orientation_correction, c.expected) << "tag " << c.tag;
    EXPECT_EQ(r->image.width, upright->image.width);
    ASSERT_EQ(r->faces.size(), upright->faces.size()) << "tag " << c.tag;
    for (size_t i = 0; i < r->faces.size(); ++i) {
      EXPECT_GT(IoU(r->faces[i].box, upright->faces[i].box), 0.85f) << "tag " << c.tag;
    }
  }
}

TEST_F(EngineTest, LfwSamplePairsMatchAtTheDefaultThreshold) {
  // The first 40 same-person and 40 different-person pairs of fold 3, compared
  // through CompareFaces at Rekognition's default SimilarityThreshold of 80
  // (an estimated false-match rate of 1 in 1,000 per comparison here).
  const std::string root = DataDir() + "/lfw";
  auto pairs = eval::ParseLfwPairs(ReadFile(root + "/pairs.txt"));
  ASSERT_TRUE(pairs.ok());
  int same = 0, same_matched = 0, different = 0, different_matched = 0;
  for (const eval::LfwPair& p : *pairs) {
    if (p.fold != 3) continue;
    if (p.same ? same >= 40 : different >= 40) continue;
    auto r = engine_->CompareFaces(ReadFile(eval::LfwImagePath(root, p.name1, p.index1)),
                                   ReadFile(eval::LfwImagePath(root, p.name2, p.index2)), 80.f);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    // LFW images are centred on their subject: a match must be the central
    // face, so count any match at all only for same-person pairs.
    const bool matched = !r->matches.empty();
    if (p.same) {
      ++same;
      same_matched += matched;
    } else {
      ++different;
      different_matched += matched;
    }
  }
  EXPECT_EQ(same, 40);
  // Similarity 80 is the worst group's 1e-3 (calibration 2026-12-07): it
  // misses 3-6% of LFW's same-person pairs per group (README, "Similarity
  // per group"), 4 of these 40: allow five.
  EXPECT_GE(same_matched, 35);
  // At a 1e-3 false-match rate, 40 impostor pairs expect 0.04 false matches.
  EXPECT_EQ(different_matched, 0);
}

TEST_F(EngineTest, CompareFindsTheRightPersonInAGroupPhoto) {
  for (const auto& [probe, left_is_match] : {std::pair{"obama.jpg", true}, std::pair{"biden.jpg", false}}) {
    auto r = engine_->CompareFaces(Video(probe), Video("two_people.jpg"), 80.f);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->matches.size(), 1u) << probe;
    ASSERT_EQ(r->unmatched.size(), 1u) << probe;
    const float centre = r->matches[0].face.box.left + r->matches[0].face.box.width / 2;
    EXPECT_EQ(centre < r->target_image.width / 2.f, left_is_match) << probe;
    EXPECT_GT(r->matches[0].similarity, 99.f) << probe;
    EXPECT_LE(r->matches[0].false_match_rate, 1e-5);
    // The other person is far below the threshold.
    EXPECT_LT(engine_->calibration().Similarity(0.0f), 80.f);
  }
}

TEST_F(EngineTest, CompareRejectsBadThresholdsAndFacelessSources) {
  const std::string face = Video("obama.jpg");
  for (float bad : {-1.f, 100.5f, 150.f, std::nanf("")}) {
    EXPECT_EQ(engine_->CompareFaces(face, face, bad).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  cv::Mat wall(300, 300, CV_8UC3, cv::Scalar(180, 170, 160));
  auto r = engine_->CompareFaces(EncodeJpeg(wall), face, 80.f);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // Rekognition's model: no face in the target is an InvalidParameterException
  // too, not an empty answer.
  auto empty = engine_->CompareFaces(face, EncodeJpeg(wall), 80.f);
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("target"), std::string::npos);
}

// Rekognition's Attributes may name attributes: DEFAULT's members and those
// are computed, and no other network runs (ALL's cost is not paid).
TEST_F(EngineTest, NamedAttributesComputeOnlyThose) {
  auto r = engine_->DetectFaces(Video("obama.jpg"), AttributeSet::kEmotions | AttributeSet::kAgeRange);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GE(r->faces.size(), 1u);
  const FaceAttributes& a = r->faces[0].attributes;
  EXPECT_TRUE(a.age_range.has_value());
  EXPECT_EQ(a.emotions.size(), 7u);
  EXPECT_FALSE(a.gender || a.smile || a.eyes_open || a.mouth_open || a.liveness_score);
  auto plain = engine_->DetectFaces(Video("obama.jpg"), AttributeSet::kDefault);
  ASSERT_TRUE(plain.ok());
  const FaceAttributes& none = plain->faces[0].attributes;
  EXPECT_FALSE(none.age_range || none.gender || none.smile || none.eyes_open || none.mouth_open ||
               none.liveness_score);
  EXPECT_TRUE(none.emotions.empty());
  // Smile alone runs the expression network (it reads HAPPY) but reports
  // no Emotions.
  auto smile = engine_->DetectFaces(Video("obama.jpg"), AttributeSet::kSmile);
  ASSERT_TRUE(smile.ok());
  EXPECT_TRUE(smile->faces[0].attributes.smile.has_value());
  EXPECT_TRUE(smile->faces[0].attributes.emotions.empty());
}

TEST_F(EngineTest, SmallFacesInALargeImageAreFound) {
  // Tile the group photo 4 x 4 after shrinking it, so that 32 faces of about
  // 40 px sit in a 2252 x 1322 image: the detector's 320x240 input cannot see
  // them without the pyramid.
  const std::string bytes = Video("two_people.jpg");
  cv::Mat pixels = cv::imdecode(std::vector<uint8_t>(bytes.begin(), bytes.end()), cv::IMREAD_COLOR);
  cv::Mat small;
  cv::resize(pixels, small, {}, 0.5, 0.5, cv::INTER_AREA);
  cv::Mat mosaic;
  std::vector<cv::Mat> rows;
  for (int r = 0; r < 4; ++r) {
    cv::Mat row;
    cv::hconcat(std::vector<cv::Mat>{small, small, small, small}, row);
    rows.push_back(row);
  }
  cv::vconcat(rows, mosaic);
  auto r = engine_->DetectFaces(EncodeJpeg(mosaic), AttributeSet::kDefault);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->faces.size(), 32u);
}

TEST_F(EngineTest, TwentyPixelFacesInA4096PixelImageAreFound) {
  // 25 copies of the group photo shrunk so that each face is about 21 px
  // wide, on a plain 4096 x 3072 canvas: 50 faces, all found, none invented.
  const std::string bytes = Video("two_people.jpg");
  cv::Mat pixels = cv::imdecode(std::vector<uint8_t>(bytes.begin(), bytes.end()), cv::IMREAD_COLOR);
  cv::Mat small;
  cv::resize(pixels, small, {}, 0.15, 0.15, cv::INTER_AREA);
  cv::Mat canvas(3072, 4096, CV_8UC3, cv::Scalar(120, 130, 140));
  int copies = 0;
  for (int y = 100; y + small.rows < canvas.rows; y += 700) {
    for (int x = 100; x + small.cols < canvas.cols; x += 900) {
      small.copyTo(canvas(cv::Rect(x, y, small.cols, small.rows)));
      ++copies;
    }
  }
  ASSERT_EQ(copies, 25);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", canvas, jpeg, {cv::IMWRITE_JPEG_QUALITY, 92});
  ASSERT_LT(jpeg.size(), 5u << 20);
  auto r = engine_->DetectFaces(std::string(jpeg.begin(), jpeg.end()), AttributeSet::kDefault);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->faces.size(), 50u);
  for (const Face& f : r->faces) {
    EXPECT_GE(f.box.width, 15.f);
    EXPECT_LE(f.box.width, 35.f);
  }
}

TEST_F(EngineTest, AllAttributesArePresentAndPlausible) {
  auto r = engine_->DetectFaces(Video("obama.jpg"), AttributeSet::kAll);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GE(r->faces.size(), 1u);
  const FaceAttributes& a = r->faces[0].attributes;
  ASSERT_TRUE(a.age_range && a.gender && a.smile && a.eyes_open && a.mouth_open && a.liveness_score);
  EXPECT_EQ(*a.gender, Gender::kMale);
  EXPECT_GT(a.gender_confidence, 90.f);  // 99.7 measured
  // Barack Obama (born 1961) in an undated photo of him as a public figure,
  // so aged between about 35 and 62; FaceRes says 47.4, range 38-56.
  EXPECT_LE(a.age_range->low, a.age_range->estimate);
  EXPECT_GE(a.age_range->high, a.age_range->estimate);
  EXPECT_GT(a.age_range->estimate, 35.f);
  EXPECT_LT(a.age_range->estimate, 62.f);
  ASSERT_EQ(a.emotions.size(), 7u);
  EXPECT_EQ(a.emotions[0].type, EmotionType::kHappy);  // a broad smile
  float emotion_sum = 0;
  for (const Emotion& e : a.emotions) emotion_sum += e.confidence;
  EXPECT_NEAR(emotion_sum, 100.f, 1e-3);
  EXPECT_TRUE(a.smile->value);
  EXPECT_TRUE(a.eyes_open->value);
  EXPECT_LT(std::abs(r->faces[0].pose.yaw), 30.f);
}

TEST_F(EngineTest, ConcurrentCallsAgree) {
  const std::string bytes = Video("biden.jpg");
  auto reference = engine_->EmbedFaces(bytes, 1);
  ASSERT_TRUE(reference.ok());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        auto r = engine_->EmbedFaces(bytes, 1);
        if (!r.ok() || r->faces.empty() ||
            r->faces[0].embedding != reference->faces[0].embedding) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace candor

namespace candor {
namespace {

// A calibration file that is missing, damaged or made for another face
// model is refused by Engine::Create, which then returns no engine at all.
TEST(EngineCalibrationTest, MissingCorruptOrForeignCalibrationIsRefused) {
  testing::TempDir tmp;
  const std::string shipped =
      testing::ReadFile(std::string(CANDOR_SOURCE_DIR) + "/models/calibration.json");
  auto create = [&](const std::string& text) {
    const std::string path = tmp.path() + "/calibration.json";
    std::ofstream(path, std::ios::trunc) << text;
    return Engine::Create({.calibration_path = path, .workers = 1});
  };
  auto missing = Engine::Create({.calibration_path = tmp.path() + "/none.json", .workers = 1});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto truncated = create(shipped.substr(0, shipped.size() / 3));
  EXPECT_EQ(truncated.status().code(), StatusCode::kCorruption);
  EXPECT_NE(truncated.status().message().find("calibration.json"), std::string::npos);
  // Another model's calibration: the table is intact, its model is not ours.
  const std::string ours = "candor-faceplugin-0.0.1-mobilefacenet512-v1";
  std::string foreign = shipped;
  const size_t at = foreign.find(ours);
  ASSERT_NE(at, std::string::npos);
  foreign.replace(at, ours.size(), "another-model-v9");
  auto refused = create(foreign);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("another-model-v9"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("candor eval calibrate"), std::string::npos);
  // The shipped file itself loads, with its version.
  auto engine = create(shipped);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_FALSE((*engine)->calibration().version().empty());
}

}  // namespace
}  // namespace candor
