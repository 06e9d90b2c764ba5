// Tests of the image members of Rekognition requests (src/protocol/requests.h):
// strict base64, Image.Bytes and its size limit before decoding, and S3Object
// images read from a local object root (traversal and escaping links
// included). No models needed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "protocol/requests.h"
#include "requests_test_support.h"
#include "test_support.h"

namespace candor::protocol {
namespace {

using namespace candor::protocol::test;  // NOLINT
namespace fs = std::filesystem;


TEST(Base64Test, KnownVectors) {
  // RFC 4648, section 10.
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(EncodeBase64(plain), encoded);
    auto decoded = DecodeBase64(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, plain);
  }
  EXPECT_EQ(EncodeBase64(std::string("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_EQ(*DecodeBase64("+/+/"), std::string("\xfb\xff\xbf", 3));
}

TEST(Base64Test, RandomRoundTrip) {
  std::mt19937 rng(42);
  for (size_t size = 0; size < 300; ++size) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    auto decoded = DecodeBase64(EncodeBase64(bytes));
    ASSERT_TRUE(decoded.ok()) << size;
    EXPECT_EQ(*decoded, bytes) << size;
  }
  std::string big(5 * 1024 * 1024 + 1, '\0');
  for (char& c : big) c = static_cast<char>(rng());
  const std::string encoded = EncodeBase64(big);
  EXPECT_EQ(encoded.size(), (big.size() + 2) / 3 * 4);
  auto decoded = DecodeBase64(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(*decoded == big);
}

TEST(Base64Test, RejectsInvalid) {
  const std::string invalid[] = {
      "Zg",          // no padding
      "Zg=",         // short padding
      "Zm9",         // length not a multiple of 4
      "Zm9vY",       //
      "Zg===",       //
      "Z===",        // three '='
      "====",        //
      "=Zg=",        // '=' first
      "Zg=a",        // '=' inside
      "Zm=v",        //
      "Zm9v=Zg=",    // '=' in an earlier group
      "Zm9v Zg==",   // whitespace
      "Zm9vYg==\n",  //
      " Zm9v",       //
      "Zm9vYg=\n",   //
      "Zm9-",        // base64url alphabet
      "Zm9_",        //
      "Zm9*",        // outside any alphabet
      std::string("Zm\0v", 4),
      "Zm9v\xc3\xa9\xc3\xa9",  // non-ASCII
  };
  for (const std::string& text : invalid) {
    auto decoded = DecodeBase64(text);
    EXPECT_FALSE(decoded.ok()) << "'" << text << "'";
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(Base64Test, AcceptsNonZeroUnusedBits) {
  // "Zh==" carries 'f' with non-zero unused bits; Java and Python accept it.
  auto decoded = DecodeBase64("Zh==");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, "f");
}

// --- Images ---

TEST(ParseImageTest, Bytes) {
  auto bytes = ParseImage({{"Image", Bytes(kImage)}}, "Image", {});
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, kImage);
}

TEST(ParseImageTest, Errors) {
  const RequestOptions o;
  EXPECT_CODE(ParseImage(json::object(), "Image", o), StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseImage(json::object(), "Image", o), "Image is required");
  EXPECT_CODE(ParseImage({{"Image", nullptr}}, "Image", o), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseImage({{"Image", "Zm9v"}}, "Image", o), StatusCode::kSerialization);
  EXPECT_CODE(ParseImage({{"Image", json::array()}}, "Image", o), StatusCode::kSerialization);
  EXPECT_CODE(ParseImage({{"Image", json::object()}}, "Image", o), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseImage({{"Image", {{"Bytes", 12}}}}, "Image", o), StatusCode::kSerialization);
  EXPECT_CODE(ParseImage({{"Image", {{"Bytes", json::array({1, 2})}}}}, "Image", o),
              StatusCode::kSerialization);
  EXPECT_CODE(
      ParseImage({{"Image", {{"Bytes", "Zm9v"}, {"S3Object", {{"Bucket", "abc"}}}}}}, "Image", o),
      StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseImage({{"Image", {{"Bytes", "Zm9v!"}}}}, "Image", o),
                     "Image.Bytes is not valid base64");
  EXPECT_MESSAGE_HAS(ParseImage({{"SourceImage", {{"Bytes", "Zm9v Zg=="}}}}, "SourceImage", o),
                     "SourceImage.Bytes is not valid base64");
  // An empty image is bad input, not "no faces".
  EXPECT_CODE(ParseImage({{"Image", {{"Bytes", ""}}}}, "Image", o), StatusCode::kInvalidArgument);
  // Bytes null counts as absent: then S3Object is used.
  EXPECT_CODE(ParseImage({{"Image",
                           {{"Bytes", nullptr}, {"S3Object", {{"Bucket", "abc"}, {"Name", "x"}}}}}},
                         "Image", o),
              StatusCode::kInvalidS3Object);
  EXPECT_CODE(ParseImage(json::array(), "Image", o), StatusCode::kSerialization);
}

TEST(ParseImageTest, SizeLimitBeforeDecoding) {
  RequestOptions o;
  o.max_image_bytes = 3000;
  EXPECT_TRUE(ParseImage({{"Image", Bytes(std::string(3000, 'x'))}}, "Image", o).ok());
  EXPECT_CODE(ParseImage({{"Image", Bytes(std::string(3001, 'x'))}}, "Image", o),
              StatusCode::kImageTooLarge);
  // Padding counts: 4000 characters with "==" decode to 2998 bytes.
  EXPECT_TRUE(ParseImage({{"Image", Bytes(std::string(2998, 'x'))}}, "Image", o).ok());

  // 8 MB of characters outside the alphabet: refused for its size, which
  // shows that no byte of it was decoded.
  o.max_image_bytes = 5 * 1024 * 1024;
  EXPECT_CODE(ParseImage({{"Image", {{"Bytes", std::string(8 * 1024 * 1024, '!')}}}}, "Image", o),
              StatusCode::kImageTooLarge);
  // At the default limit, 5 MB decodes and 5 MB + 1 does not.
  EXPECT_TRUE(ParseImage({{"Image", Bytes(std::string(5 * 1024 * 1024, 'y'))}}, "Image", o).ok());
  EXPECT_CODE(ParseImage({{"Image", Bytes(std::string(5 * 1024 * 1024 + 1, 'y'))}}, "Image", o),
              StatusCode::kImageTooLarge);
}

// An object root with bucket "photos" holding faces/a.jpg, and a secret file
// beside the root.
class S3ObjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(dir_.path()) / "s3";
    fs::create_directories(root_ / "photos" / "faces");
    Write(root_ / "photos" / "faces" / "a.jpg", kImage);
    Write(root_ / "photos" / "empty.jpg", "");
    fs::create_directories(root_ / "other");
    Write(root_ / "other" / "b.jpg", kImage);
    Write(fs::path(dir_.path()) / "secret.txt", "secret");
    options_.s3_root = root_.string();
  }

  static void Write(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  }

  StatusOr<std::string> Read(const json& s3) {
    return ParseImage({{"Image", {{"S3Object", s3}}}}, "Image", options_);
  }

  testing::TempDir dir_;
  fs::path root_;
  RequestOptions options_;
};

TEST_F(S3ObjectTest, ReadsAnObject) {
  auto bytes = Read({{"Bucket", "photos"}, {"Name", "faces/a.jpg"}});
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, kImage);
  // Version is accepted and ignored; so is a link that stays in the bucket.
  fs::create_symlink("faces/a.jpg", root_ / "photos" / "link.jpg");
  bytes = Read({{"Bucket", "photos"}, {"Name", "link.jpg"}, {"Version", "3"}});
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, kImage);
  // ".." that stays inside the bucket.
  EXPECT_TRUE(Read({{"Bucket", "photos"}, {"Name", "faces/../faces/a.jpg"}}).ok());
  // A bucket directory that is itself a link, placed by the operator.
  fs::create_directories(fs::path(dir_.path()) / "elsewhere");
  Write(fs::path(dir_.path()) / "elsewhere" / "c.jpg", kImage);
  fs::create_directory_symlink(fs::path(dir_.path()) / "elsewhere", root_ / "linked");
  EXPECT_TRUE(Read({{"Bucket", "linked"}, {"Name", "c.jpg"}}).ok());
}

TEST_F(S3ObjectTest, MissingObjects) {
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "faces/missing.jpg"}}),
              StatusCode::kInvalidS3Object);
  EXPECT_CODE(Read({{"Bucket", "nobucket"}, {"Name", "a.jpg"}}), StatusCode::kInvalidS3Object);
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "faces"}}), StatusCode::kInvalidS3Object);
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "faces/"}}), StatusCode::kInvalidS3Object);
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "."}}), StatusCode::kInvalidS3Object);
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "empty.jpg"}}), StatusCode::kInvalidArgument);
}

TEST_F(S3ObjectTest, RefusesEscapes) {
  const char* escapes[] = {"../secret.txt", "../../secret.txt", "faces/../../secret.txt",
                           "/etc/passwd",   "../other/b.jpg",   "..",
                           "faces/../.."};
  for (const char* name : escapes) {
    EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", name}}), StatusCode::kInvalidS3Object);
  }
  // Links out of the bucket: to a file beside the root, to a directory outside.
  fs::create_symlink(fs::path(dir_.path()) / "secret.txt", root_ / "photos" / "secret.jpg");
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "secret.jpg"}}), StatusCode::kInvalidS3Object);
  fs::create_directory_symlink("/etc", root_ / "photos" / "etc");
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "etc/passwd"}}), StatusCode::kInvalidS3Object);
  // A link loop.
  fs::create_symlink("loop2", root_ / "photos" / "loop1");
  fs::create_symlink("loop1", root_ / "photos" / "loop2");
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "loop1"}}), StatusCode::kInvalidS3Object);
}

TEST_F(S3ObjectTest, ValidatesBucketAndName) {
  for (const char* bucket :
       {"..", "...", "ab", "Photos", "pho/tos", ".photos", "photos-", "a_b", "../s3"}) {
    EXPECT_CODE(Read({{"Bucket", bucket}, {"Name", "faces/a.jpg"}}), StatusCode::kInvalidArgument);
  }
  EXPECT_CODE(Read({{"Bucket", std::string(64, 'a')}, {"Name", "x"}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", ""}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", std::string("faces/a.jpg\0x", 13)}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", std::string(1025, 'a')}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(Read({{"Bucket", "photos"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(Read({{"Name", "faces/a.jpg"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(Read({{"Bucket", 7}, {"Name", "faces/a.jpg"}}), StatusCode::kSerialization);
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", {"faces/a.jpg"}}}), StatusCode::kSerialization);
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "faces/a.jpg"}, {"Version", 3}}),
              StatusCode::kSerialization);
  EXPECT_CODE(Read("photos/faces/a.jpg"), StatusCode::kSerialization);
}

TEST_F(S3ObjectTest, TooLargeAndDisabled) {
  options_.max_image_bytes = kImage.size() - 1;
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "faces/a.jpg"}}), StatusCode::kImageTooLarge);
  options_.max_image_bytes = kImage.size();
  EXPECT_TRUE(Read({{"Bucket", "photos"}, {"Name", "faces/a.jpg"}}).ok());
  options_.s3_root.clear();
  EXPECT_CODE(Read({{"Bucket", "photos"}, {"Name", "faces/a.jpg"}}), StatusCode::kInvalidS3Object);
}

// --- Operations, as boto3 sends them ---

}  // namespace
}  // namespace candor::protocol
