// The preprocessing constants of the embedding pipeline, each shown to matter
// on real faces: a test here fails if the constant the engine uses is not the
// best of the alternatives on a fixed sample of LFW pairs.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>

#include "engine/pipeline.h"
#include "eval/lfw.h"
#include "eval/metrics.h"
#include "test_support.h"

namespace candor {
namespace {

using testing::DataDir;
using testing::ReadFile;

struct LocatedImage {
  engine::PreparedImage image;
  Face face;
};

class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cv::setNumThreads(2);
    auto pack = models::ModelPack::Load(std::string(CANDOR_SOURCE_DIR) + "/models/manifest.json",
                                        CANDOR_DEFAULT_MODEL_DIR);
    ASSERT_TRUE(pack.ok()) << pack.status().ToString();
    auto p = engine::Pipeline::Create(*pack);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    pipeline_ = std::move(p).value().release();

    // The first 100 same and 100 different pairs of fold 1 of pairs.txt.
    const std::string root = DataDir() + "/lfw";
    auto pairs = eval::ParseLfwPairs(ReadFile(root + "/pairs.txt"));
    ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
    int same = 0, different = 0;
    for (const eval::LfwPair& pair : *pairs) {
      if (pair.fold != 1) continue;
      if (pair.same ? same++ >= 100 : different++ >= 100) continue;
      pairs_->push_back(pair);
      for (const std::string& path : {eval::LfwImagePath(root, pair.name1, pair.index1),
                                      eval::LfwImagePath(root, pair.name2, pair.index2)}) {
        if (images_->count(path)) continue;
        const std::string bytes = ReadFile(path);
        auto decoded = image::DecodeImage(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
        ASSERT_TRUE(decoded.ok()) << path;
        LocatedImage located;
        located.image.decoded = std::move(decoded).value();
        cv::cvtColor(located.image.decoded.bgr, located.image.grey, cv::COLOR_BGR2GRAY);
        auto faces = pipeline_->Locate(located.image, {}, {});
        ASSERT_TRUE(faces.ok() && !faces->empty()) << "no face in " << path;
        located.face = (*faces)[0];
        (*images_)[path] = std::move(located);
      }
    }
  }

  // Best-threshold accuracy and d' (separation of the genuine and impostor
  // cosine distributions) of the sample under an embedding variant.
  struct Separation {
    double accuracy;
    double d_prime;
  };
  static Separation Measure(const embed::EmbedderOptions& options,
                            const std::array<Point, 5>& target = align::kArcFaceTemplate) {
    std::map<std::string, std::vector<float>> embeddings;
    for (auto& [path, located] : *images_) {
      const FivePoints& f = located.face.five;
      align::Affine t = align::EstimateSimilarity(
          {f.left_eye, f.right_eye, f.nose, f.mouth_left, f.mouth_right}, target);
      cv::Mat chip = embed::Embedder::AlignedChip(located.image.decoded.bgr, t);
      auto e = pipeline_->embedder->Embed(chip, options);
      EXPECT_TRUE(e.ok());
      embeddings[path] = *e;
    }
    std::vector<eval::ScoredPair> scored;
    std::vector<double> genuine, impostor;
    const std::string root = DataDir() + "/lfw";
    for (const eval::LfwPair& pair : *pairs_) {
      const float s = embed::Cosine(embeddings[eval::LfwImagePath(root, pair.name1, pair.index1)],
                                    embeddings[eval::LfwImagePath(root, pair.name2, pair.index2)]);
      scored.push_back({s, pair.same, 0});
      (pair.same ? genuine : impostor).push_back(s);
    }
    auto mean_var = [](const std::vector<double>& v, double* var) {
      double m = 0;
      for (double x : v) m += x;
      m /= v.size();
      *var = 0;
      for (double x : v) *var += (x - m) * (x - m);
      *var /= v.size();
      return m;
    };
    double vg, vi;
    const double mg = mean_var(genuine, &vg), mi = mean_var(impostor, &vi);
    return {eval::AccuracyAt(scored, eval::BestThreshold(scored)),
            (mg - mi) / std::sqrt((vg + vi) / 2)};
  }

  static engine::Pipeline* pipeline_;
  static std::vector<eval::LfwPair>* pairs_;
  static std::map<std::string, LocatedImage>* images_;
};

engine::Pipeline* PipelineTest::pipeline_ = nullptr;
std::vector<eval::LfwPair>* PipelineTest::pairs_ = new std::vector<eval::LfwPair>;
std::map<std::string, LocatedImage>* PipelineTest::images_ = new std::map<std::string, LocatedImage>;

embed::EmbedderOptions Plain() { return {}; }

TEST_F(PipelineTest, BaselineSeparatesTheSample) {
  const Separation s = Measure(Plain());
  std::printf("baseline: accuracy %.3f d' %.2f\n", s.accuracy, s.d_prime);
  EXPECT_GE(s.accuracy, 0.97);
  EXPECT_GE(s.d_prime, 4.0);
}

TEST_F(PipelineTest, ChannelOrderMatters) {
  // The network was trained on BGR: feeding RGB must separate worse.
  const Separation bgr = Measure(Plain());
  embed::EmbedderOptions rgb = Plain();
  rgb.rgb = true;
  const Separation swapped = Measure(rgb);
  std::printf("BGR d' %.2f, RGB d' %.2f\n", bgr.d_prime, swapped.d_prime);
  EXPECT_FALSE(Plain().rgb);
  EXPECT_GT(bgr.d_prime, swapped.d_prime + 0.3);
}

TEST_F(PipelineTest, InputNormalisationMatters) {
  const Separation right = Measure(Plain());
  embed::EmbedderOptions unit_range = Plain();  // x / 255, no mean
  unit_range.input_mean = 0;
  unit_range.input_scale = 1.f / 255.f;
  const Separation wrong = Measure(unit_range);
  std::printf("(x-127.5)/127.5 d' %.2f, x/255 d' %.2f\n", right.d_prime, wrong.d_prime);
  EXPECT_GT(right.d_prime, wrong.d_prime + 0.3);
}

TEST_F(PipelineTest, AlignmentTemplateMatters) {
  const Separation right = Measure(Plain());
  // The template moved down by 8 pixels: faces sit where the network did not
  // learn them.
  std::array<Point, 5> shifted = align::kArcFaceTemplate;
  for (Point& p : shifted) p.y += 8;
  const Separation wrong = Measure(Plain(), shifted);
  std::printf("ArcFace template d' %.2f, shifted d' %.2f\n", right.d_prime, wrong.d_prime);
  EXPECT_GT(right.d_prime, wrong.d_prime + 0.3);
}

TEST_F(PipelineTest, FlipAveragingDoesNotHurt) {
  const Separation plain = Measure(Plain());
  const Separation flipped = Measure({.flip_average = true});
  std::printf("plain d' %.2f, flip-averaged d' %.2f\n", plain.d_prime, flipped.d_prime);
  EXPECT_GE(flipped.d_prime, plain.d_prime - 0.05);
  EXPECT_FALSE(Plain().flip_average);
}

TEST_F(PipelineTest, EmbeddingsAreUnitLength) {
  const LocatedImage& any = images_->begin()->second;
  cv::Mat chip = embed::Embedder::AlignedChip(any.image.decoded.bgr,
                                              align::AlignmentTransform(any.face.five));
  auto e = pipeline_->embedder->Embed(chip, {});
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->size(), 512u);
  double norm = 0;
  for (float x : *e) norm += x * x;
  EXPECT_NEAR(norm, 1.0, 1e-4);
  // A wrong chip size is an error, not a crash.
  cv::Mat small(64, 64, CV_8UC3);
  EXPECT_EQ(pipeline_->embedder->Embed(small, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PipelineTest, FivePointsLieInsideTheFace) {
  // Eyes above the nose, nose above the mouth, left eye left of right eye,
  // all inside the detector box grown by 20%: a sanity check of the landmark
  // decoding (ratios of the crop) on every sample face.
  for (const auto& [path, located] : *images_) {
    const FivePoints& f = located.face.five;
    const BoundingBox& b = located.face.box;
    EXPECT_LT(f.left_eye.x, f.right_eye.x) << path;
    // A head thrown back brings the nose tip up to the eyes' line in the
    // picture (Tatiana_Gratcheva_0001, pitch about 36 degrees: nose 1 px
    // above the eyes), so the nose may be a little above, never far above.
    EXPECT_LT(std::max(f.left_eye.y, f.right_eye.y), f.nose.y + 0.05f * b.height) << path;
    EXPECT_LT(f.nose.y, std::min(f.mouth_left.y, f.mouth_right.y)) << path;
    for (const Point& p : {f.left_eye, f.right_eye, f.nose, f.mouth_left, f.mouth_right}) {
      EXPECT_GT(p.x, b.left - 0.2f * b.width) << path;
      EXPECT_LT(p.x, b.right() + 0.2f * b.width) << path;
      EXPECT_GT(p.y, b.top - 0.2f * b.height) << path;
      EXPECT_LT(p.y, b.bottom() + 0.2f * b.height) << path;
    }
  }
}

}  // namespace
}  // namespace candor
