// Hostile input through the engine's public API: every call gets a typed
// error naming the problem, never a crash, and never "0 faces". Runs under
// AddressSanitizer in CI (tools/test.sh, label "hostile").
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <random>

#include "candor/engine.h"
#include "protocol/rekognition_json.h"
#include "test_support.h"

namespace candor {
namespace {

class HostileInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto e = Engine::Create({.workers = 1});
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value().release();
    face_ = testing::ReadFile(testing::DataDir() + "/video/obama.jpg");
    ASSERT_FALSE(face_.empty());
  }
  // Every entry point must answer `bytes` with `code`.
  static void ExpectError(const std::string& bytes, StatusCode code, const std::string& what) {
    auto d = engine_->DetectFaces(bytes, AttributeSet::kAll);
    EXPECT_EQ(d.status().code(), code) << what << ": " << d.status().ToString();
    EXPECT_FALSE(d.status().message().empty()) << what;
    EXPECT_EQ(engine_->EmbedFaces(bytes, 5).status().code(), code) << what;
    EXPECT_EQ(engine_->CompareFaces(bytes, face_, 80).status().code(), code) << what;
    EXPECT_EQ(engine_->CompareFaces(face_, bytes, 80).status().code(), code) << what;
  }
  static Engine* engine_;
  static std::string face_;
};
Engine* HostileInputTest::engine_ = nullptr;
std::string HostileInputTest::face_;

std::string Png(const cv::Mat& m) {
  std::vector<uint8_t> out;
  cv::imencode(".png", m, out);
  return std::string(out.begin(), out.end());
}

uint32_t Crc32(const std::string& data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string Be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string Chunk(const std::string& type, const std::string& data) {
  return Be32(data.size()) + type + data + Be32(Crc32(type + data));
}

TEST_F(HostileInputTest, ZeroBytes) { ExpectError("", StatusCode::kInvalidArgument, "empty"); }

TEST_F(HostileInputTest, RandomBytes) {
  std::mt19937 rng(42);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  ExpectError(noise, StatusCode::kInvalidImageFormat, "random bytes");
}

TEST_F(HostileInputTest, TextFileNamedJpg) {
  ExpectError("This is a text file that someone saved as face.jpg\n", StatusCode::kInvalidImageFormat,
              "text");
}

TEST_F(HostileInputTest, TruncatedJpegAndPng) {
  ExpectError(face_.substr(0, face_.size() * 6 / 10), StatusCode::kInvalidImageFormat, "JPEG 60%");
  ExpectError(face_.substr(0, 20), StatusCode::kInvalidImageFormat, "JPEG 20 bytes");
  const std::string png = Png(cv::imdecode(std::vector<uint8_t>(face_.begin(), face_.end()),
                                           cv::IMREAD_COLOR));
  ExpectError(png.substr(0, png.size() / 2), StatusCode::kInvalidImageFormat, "PNG 50%");
}

TEST_F(HostileInputTest, PngDeclaringTenBillionPixels) {
  // A valid PNG header for 100000 x 100000 RGB with a tiny IDAT: refused from
  // the header, before any pixel memory is allocated.
  const std::string ihdr = Be32(100000) + Be32(100000) + std::string("\x08\x02\x00\x00\x00", 5);
  const std::string idat = std::string("\x78\x9c\x63\x00\x00\x00\x01\x00\x01", 9);
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + Chunk("IHDR", ihdr) +
                          Chunk("IDAT", idat) + Chunk("IEND", "");
  ExpectError(png, StatusCode::kImageTooLarge, "PNG bomb");
}

TEST_F(HostileInputTest, OnePixelImage) {
  ExpectError(Png(cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3))), StatusCode::kInvalidArgument, "1x1");
}

TEST_F(HostileInputTest, SixMegabyteImage) {
  // Real JPEG bytes followed by padding: over Rekognition's 5 MB limit for
  // image bytes, refused without decoding.
  std::string big = face_ + std::string(6 * 1024 * 1024 - face_.size(), '\0');
  ExpectError(big, StatusCode::kImageTooLarge, "6 MB");
}

TEST_F(HostileInputTest, ErrorsCarryRekognitionNames) {
  auto d = engine_->DetectFaces("", AttributeSet::kDefault);
  EXPECT_EQ(protocol::ErrorJson(d.status())["__type"], "InvalidParameterException");
  d = engine_->DetectFaces("garbage!", AttributeSet::kDefault);
  EXPECT_EQ(protocol::ErrorJson(d.status())["__type"], "InvalidImageFormatException");
  d = engine_->DetectFaces(face_ + std::string(6 << 20, 'x'), AttributeSet::kDefault);
  EXPECT_EQ(protocol::ErrorJson(d.status())["__type"], "ImageTooLargeException");
}

TEST_F(HostileInputTest, BadMaxFaces) {
  EXPECT_EQ(engine_->EmbedFaces(face_, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->EmbedFaces(face_, -5).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(HostileInputTest, EngineStillWorksAfterwards) {
  auto r = engine_->DetectFaces(face_, AttributeSet::kDefault);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->faces.size(), 1u);
}

}  // namespace
}  // namespace candor
