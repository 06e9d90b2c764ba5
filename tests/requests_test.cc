// Tests of the Rekognition request parsers (src/protocol/requests.h): every
// operation from the body an AWS SDK (boto3) sends, the defaults, each kind of
// error with its StatusCode, strict base64, S3Object images under a temporary
// object root (traversal and escaping links included), and hostile values.
// No models needed.
#include "protocol/requests.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "test_support.h"

namespace candor::protocol {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A tiny stand-in for an image: the parsers never decode images.
const std::string kImage = std::string("\xff\xd8\xff\xe0", 4) + "not really a jpeg" + '\0' + "\xff";

std::string FaceId(int i) {
  char id[40];
  std::snprintf(id, sizeof(id), "%08x-0000-4000-8000-%012x", i, i);
  return id;
}

json Bytes(const std::string& bytes) { return {{"Bytes", EncodeBase64(bytes)}}; }

#define EXPECT_CODE(expr, expected_code)                                                \
  do {                                                                                  \
    const auto& result_ = (expr);                                                       \
    EXPECT_FALSE(result_.ok()) << #expr;                                                \
    if (!result_.ok()) {                                                                \
      EXPECT_EQ(result_.status().code(), expected_code) << result_.status().ToString(); \
    }                                                                                   \
  } while (0)

#define EXPECT_MESSAGE_HAS(expr, text)                                  \
  do {                                                                  \
    const auto& result_ = (expr);                                       \
    ASSERT_FALSE(result_.ok()) << #expr;                                \
    EXPECT_NE(result_.status().message().find(text), std::string::npos) \
        << result_.status().message();                                  \
  } while (0)

// --- Base64 ---

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

TEST(ParseRequestTest, DetectFaces) {
  auto r = ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", {"ALL"}}}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->image_bytes, kImage);
  EXPECT_EQ(r->attributes, AttributeSet::kAll);

  r = ParseDetectFaces({{"Image", Bytes(kImage)}}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->attributes, AttributeSet::kDefault);
  for (const json& attributes : {json::array(), json({"DEFAULT"}), json(nullptr)}) {
    r = ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", attributes}}, {});
    ASSERT_TRUE(r.ok()) << attributes.dump();
    EXPECT_EQ(r->attributes, AttributeSet::kDefault) << attributes.dump();
  }
  for (const json& attributes : {json({"DEFAULT", "ALL"}), json({"AGE_RANGE"}),
                                 json({"DEFAULT", "EMOTIONS", "SMILE"}), json({"FACE_OCCLUDED"})}) {
    r = ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", attributes}}, {});
    ASSERT_TRUE(r.ok()) << attributes.dump();
    EXPECT_EQ(r->attributes, AttributeSet::kAll) << attributes.dump();
  }
  EXPECT_CODE(ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", {"all"}}}, {}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", {"NOSE"}}}, {}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", "ALL"}}, {}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseDetectFaces({{"Image", Bytes(kImage)}, {"Attributes", {1}}}, {}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseDetectFaces(json::object(), {}), StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, CompareFaces) {
  const std::string target = kImage + "target";
  auto r = ParseCompareFaces({{"SourceImage", Bytes(kImage)},
                              {"TargetImage", Bytes(target)},
                              {"SimilarityThreshold", 90.5},
                              {"QualityFilter", "HIGH"}},
                             {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source_bytes, kImage);
  EXPECT_EQ(r->target_bytes, target);
  EXPECT_FLOAT_EQ(r->similarity_threshold, 90.5f);
  EXPECT_EQ(r->quality_filter, QualityFilter::kHigh);

  r = ParseCompareFaces({{"SourceImage", Bytes(kImage)}, {"TargetImage", Bytes(target)}}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_FLOAT_EQ(r->similarity_threshold, CompareFacesRequest{}.similarity_threshold);
  EXPECT_EQ(r->quality_filter, QualityFilter::kNone);

  r = ParseCompareFaces(
      {{"SourceImage", Bytes(kImage)}, {"TargetImage", Bytes(target)}, {"SimilarityThreshold", 0}},
      {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->similarity_threshold, 0.f);

  EXPECT_CODE(ParseCompareFaces({{"SourceImage", Bytes(kImage)}}, {}),
              StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseCompareFaces({{"SourceImage", Bytes(kImage)}}, {}), "TargetImage");
  EXPECT_CODE(ParseCompareFaces({{"SourceImage", Bytes(kImage)},
                                 {"TargetImage", Bytes(target)},
                                 {"SimilarityThreshold", 100.01}},
                                {}),
              StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseCompareFaces({{"SourceImage", Bytes(kImage)},
                                        {"TargetImage", Bytes(target)},
                                        {"SimilarityThreshold", -1}},
                                       {}),
                     "SimilarityThreshold must be between 0 and 100, got -1");
  EXPECT_CODE(ParseCompareFaces({{"SourceImage", Bytes(kImage)},
                                 {"TargetImage", Bytes(target)},
                                 {"SimilarityThreshold", "80"}},
                                {}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseCompareFaces({{"SourceImage", Bytes(kImage)},
                                 {"TargetImage", Bytes(target)},
                                 {"QualityFilter", "BEST"}},
                                {}),
              StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, CollectionId) {
  auto id = ParseCollectionId({{"CollectionId", "my-faces_1.0"}});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "my-faces_1.0");
  id = ParseCollectionId({{"CollectionId", "staff"}, {"Tags", {{"team", "hr"}, {"env", ""}}}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "staff");

  EXPECT_CODE(ParseCollectionId(json::object()), StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseCollectionId(json::object()), "CollectionId is required");
  EXPECT_CODE(ParseCollectionId({{"CollectionId", ""}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCollectionId({{"CollectionId", "bad id"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCollectionId({{"CollectionId", std::string(256, 'a')}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCollectionId({{"CollectionId", 12}}), StatusCode::kSerialization);
  EXPECT_CODE(ParseCollectionId({{"CollectionId", "staff"}, {"Tags", {{"team", 1}}}}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseCollectionId({{"CollectionId", "staff"}, {"Tags", {"team"}}}),
              StatusCode::kSerialization);
  // Unknown members are ignored.
  EXPECT_TRUE(ParseCollectionId({{"CollectionId", "staff"}, {"Surprise", {1, 2}}}).ok());
}

TEST(ParseRequestTest, ListCollectionsFacesUsers) {
  auto r = ParseListCollections({{"NextToken", "c.6162"}, {"MaxResults", 10}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->collection_id, "");
  EXPECT_EQ(r->next_token, "c.6162");
  EXPECT_EQ(r->max_results, 10);
  r = ParseListCollections(json::object());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_results, 0);
  EXPECT_EQ(r->next_token, "");
  EXPECT_TRUE(ParseListCollections({{"MaxResults", 4096}}).ok());
  EXPECT_CODE(ParseListCollections({{"MaxResults", 4097}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseListCollections({{"NextToken", 5}}), StatusCode::kSerialization);

  r = ParseListFaces({{"CollectionId", "staff"}, {"MaxResults", 4096}, {"NextToken", "f.00"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->max_results, 4096);
  EXPECT_EQ(r->next_token, "f.00");
  EXPECT_CODE(ParseListFaces(json::object()), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"MaxResults", -1}}),
              StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseListFaces({{"CollectionId", "staff"}, {"UserId", "alice"}}),
                     "not supported");
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"FaceIds", {FaceId(1)}}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseListFaces({{"CollectionId", "staff"}, {"UserId", 3}}),
              StatusCode::kSerialization);
  EXPECT_TRUE(ParseListFaces({{"CollectionId", "staff"}, {"UserId", nullptr}}).ok());

  r = ParseListUsers({{"CollectionId", "staff"}, {"MaxResults", 500}, {"NextToken", "u.61"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->max_results, 500);
  EXPECT_EQ(r->next_token, "u.61");
  EXPECT_MESSAGE_HAS(ParseListUsers({{"CollectionId", "staff"}, {"MaxResults", 501}}),
                     "MaxResults must be between 0 and 500, got 501");
}

TEST(ParseRequestTest, IndexFaces) {
  auto r = ParseIndexFaces({{"CollectionId", "staff"},
                            {"Image", Bytes(kImage)},
                            {"ExternalImageId", "alice_01.jpg"},
                            {"DetectionAttributes", {"ALL"}},
                            {"MaxFaces", 1},
                            {"QualityFilter", "LOW"}},
                           {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->image_bytes, kImage);
  EXPECT_EQ(r->external_image_id, "alice_01.jpg");
  EXPECT_EQ(r->detection_attributes, AttributeSet::kAll);
  EXPECT_EQ(r->max_faces, 1);
  EXPECT_EQ(r->quality_filter, QualityFilter::kLow);

  r = ParseIndexFaces({{"CollectionId", "staff"}, {"Image", Bytes(kImage)}}, {});
  ASSERT_TRUE(r.ok());
  const IndexFacesRequest defaults;
  EXPECT_EQ(r->external_image_id, "");
  EXPECT_EQ(r->max_faces, defaults.max_faces);
  EXPECT_EQ(r->quality_filter, QualityFilter::kAuto);
  EXPECT_EQ(r->detection_attributes, AttributeSet::kDefault);

  const json base = {{"CollectionId", "staff"}, {"Image", Bytes(kImage)}};
  auto with = [&base](const char* name, json value) {
    json body = base;
    body[name] = std::move(value);
    return body;
  };
  EXPECT_TRUE(ParseIndexFaces(with("MaxFaces", 100), {}).ok());
  EXPECT_CODE(ParseIndexFaces(with("MaxFaces", 0), {}), StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseIndexFaces(with("MaxFaces", 101), {}),
                     "MaxFaces must be between 1 and 100, got 101");
  EXPECT_CODE(ParseIndexFaces(with("MaxFaces", "3"), {}), StatusCode::kSerialization);
  // Fractional counts are not Integers: SerializationException. 3.0 is 3.
  EXPECT_CODE(ParseIndexFaces(with("MaxFaces", 3.5), {}), StatusCode::kSerialization);
  r = ParseIndexFaces(with("MaxFaces", 3.0), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_faces, 3);
  EXPECT_CODE(ParseIndexFaces(with("ExternalImageId", "a b"), {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces(with("ExternalImageId", ""), {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces(with("ExternalImageId", 1), {}), StatusCode::kSerialization);
  EXPECT_CODE(ParseIndexFaces(with("DetectionAttributes", {"DEFAULT", "BOGUS"}), {}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces(with("QualityFilter", "auto"), {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces(with("QualityFilter", 1), {}), StatusCode::kSerialization);
  EXPECT_CODE(ParseIndexFaces(with("CollectionId", "bad/id"), {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIndexFaces({{"CollectionId", "staff"}}, {}), StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, DeleteFaces) {
  auto r = ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", {FaceId(1), FaceId(2)}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->face_ids, (std::vector<std::string>{FaceId(1), FaceId(2)}));

  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", json::array()}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", {"not-a-uuid"}}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", FaceId(1)}}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", {FaceId(1), 2}}}),
              StatusCode::kSerialization);
  EXPECT_CODE(ParseDeleteFaces({{"FaceIds", {FaceId(1)}}}), StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, SearchFacesByImage) {
  auto r = ParseSearchFacesByImage({{"CollectionId", "staff"},
                                    {"Image", Bytes(kImage)},
                                    {"MaxFaces", 5},
                                    {"FaceMatchThreshold", 95},
                                    {"QualityFilter", "MEDIUM"}},
                                   {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->search.collection_id, "staff");
  EXPECT_EQ(r->image_bytes, kImage);
  EXPECT_EQ(r->search.max_faces, 5);
  EXPECT_FLOAT_EQ(r->search.face_match_threshold, 95.f);
  EXPECT_EQ(r->search.quality_filter, QualityFilter::kMedium);

  r = ParseSearchFacesByImage({{"CollectionId", "staff"}, {"Image", Bytes(kImage)}}, {});
  ASSERT_TRUE(r.ok());
  const SearchRequest defaults;
  EXPECT_EQ(r->search.max_faces, defaults.max_faces);
  EXPECT_FLOAT_EQ(r->search.face_match_threshold, defaults.face_match_threshold);
  EXPECT_EQ(r->search.quality_filter, QualityFilter::kNone);

  const json base = {{"CollectionId", "staff"}, {"Image", Bytes(kImage)}};
  json body = base;
  body["MaxFaces"] = 4096;
  EXPECT_TRUE(ParseSearchFacesByImage(body, {}).ok());
  body["MaxFaces"] = 0;
  EXPECT_MESSAGE_HAS(ParseSearchFacesByImage(body, {}),
                     "MaxFaces must be between 1 and 4096, got 0");
  body = base;
  body["FaceMatchThreshold"] = 101;
  EXPECT_CODE(ParseSearchFacesByImage(body, {}), StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, SearchFaces) {
  auto r = ParseSearchFaces({{"CollectionId", "staff"},
                             {"FaceId", FaceId(7)},
                             {"MaxFaces", 10},
                             {"FaceMatchThreshold", 70.25}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->search.collection_id, "staff");
  EXPECT_EQ(r->face_id, FaceId(7));
  EXPECT_EQ(r->search.max_faces, 10);
  EXPECT_FLOAT_EQ(r->search.face_match_threshold, 70.25f);

  r = ParseSearchFaces({{"CollectionId", "staff"}, {"FaceId", FaceId(7)}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->search.max_faces, 80);
  EXPECT_FLOAT_EQ(r->search.face_match_threshold, 80.f);

  EXPECT_CODE(ParseSearchFaces({{"CollectionId", "staff"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseSearchFaces({{"CollectionId", "staff"}, {"FaceId", "7"}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseSearchFaces({{"CollectionId", "staff"}, {"FaceId", 7}}),
              StatusCode::kSerialization);
  EXPECT_CODE(
      ParseSearchFaces({{"CollectionId", "staff"}, {"FaceId", FaceId(7)}, {"MaxFaces", 4097}}),
      StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, CreateAndDeleteUser) {
  auto r = ParseUserRequest(
      {{"CollectionId", "staff"}, {"UserId", "alice:hr.1"}, {"ClientRequestToken", "3f2a-b_9"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->user_id, "alice:hr.1");
  EXPECT_EQ(r->client_request_token, "3f2a-b_9");

  r = ParseUserRequest({{"CollectionId", "staff"}, {"UserId", "alice"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->client_request_token, "");

  EXPECT_CODE(ParseUserRequest({{"CollectionId", "staff"}}), StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(ParseUserRequest({{"CollectionId", "staff"}}), "UserId is required");
  EXPECT_CODE(ParseUserRequest({{"CollectionId", "staff"}, {"UserId", "al ice"}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseUserRequest({{"CollectionId", "staff"}, {"UserId", std::string(129, 'a')}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseUserRequest(
                  {{"CollectionId", "staff"}, {"UserId", "alice"}, {"ClientRequestToken", ""}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseUserRequest({{"CollectionId", "staff"},
                                {"UserId", "alice"},
                                {"ClientRequestToken", std::string(65, 'a')}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(
      ParseUserRequest({{"CollectionId", "staff"}, {"UserId", "alice"}, {"ClientRequestToken", 1}}),
      StatusCode::kSerialization);
}

TEST(ParseRequestTest, AssociateAndDisassociateFaces) {
  auto r = ParseAssociateFaces({{"CollectionId", "staff"},
                                {"UserId", "alice"},
                                {"FaceIds", {FaceId(1), FaceId(2)}},
                                {"UserMatchThreshold", 90},
                                {"ClientRequestToken", "tok"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->user_id, "alice");
  EXPECT_EQ(r->face_ids, (std::vector<std::string>{FaceId(1), FaceId(2)}));
  EXPECT_FLOAT_EQ(r->user_match_threshold, 90.f);
  EXPECT_EQ(r->client_request_token, "tok");

  r = ParseAssociateFaces(
      {{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceIds", {FaceId(1)}}});
  ASSERT_TRUE(r.ok());
  EXPECT_FLOAT_EQ(r->user_match_threshold, 75.f);

  json hundred_one = json::array();
  for (int i = 0; i < 101; ++i) hundred_one.push_back(FaceId(i));
  EXPECT_MESSAGE_HAS(
      ParseAssociateFaces(
          {{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceIds", hundred_one}}),
      "FaceIds must hold between 1 and 100 face ids, got 101");
  EXPECT_CODE(ParseAssociateFaces({{"CollectionId", "staff"},
                                   {"UserId", "alice"},
                                   {"FaceIds", {FaceId(1)}},
                                   {"UserMatchThreshold", 100.5}}),
              StatusCode::kInvalidArgument);

  auto d = ParseDisassociateFaces({{"CollectionId", "staff"},
                                   {"UserId", "alice"},
                                   {"FaceIds", {FaceId(3)}},
                                   {"ClientRequestToken", "tok-2"}});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->collection_id, "staff");
  EXPECT_EQ(d->user_id, "alice");
  EXPECT_EQ(d->face_ids, std::vector<std::string>{FaceId(3)});
  EXPECT_EQ(d->client_request_token, "tok-2");
  EXPECT_CODE(ParseDisassociateFaces({{"CollectionId", "staff"}, {"UserId", "alice"}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseDisassociateFaces(
                  {{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceIds", hundred_one}}),
              StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, SearchUsers) {
  auto r = ParseSearchUsers({{"CollectionId", "staff"},
                             {"UserId", "alice"},
                             {"UserMatchThreshold", 60},
                             {"MaxUsers", 5}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->collection_id, "staff");
  EXPECT_EQ(r->user_id, "alice");
  EXPECT_EQ(r->face_id, "");
  EXPECT_FLOAT_EQ(r->user_match_threshold, 60.f);
  EXPECT_EQ(r->max_users, 5);

  r = ParseSearchUsers({{"CollectionId", "staff"}, {"FaceId", FaceId(9)}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->face_id, FaceId(9));
  EXPECT_EQ(r->user_id, "");
  EXPECT_FLOAT_EQ(r->user_match_threshold, 80.f);
  EXPECT_EQ(r->max_users, 80);

  EXPECT_CODE(ParseSearchUsers({{"CollectionId", "staff"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(
      ParseSearchUsers({{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceId", FaceId(9)}}),
      StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseSearchUsers({{"CollectionId", "staff"}, {"UserId", ""}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseSearchUsers({{"CollectionId", "staff"}, {"FaceId", "nope"}}),
              StatusCode::kInvalidArgument);
  EXPECT_MESSAGE_HAS(
      ParseSearchUsers({{"CollectionId", "staff"}, {"UserId", "alice"}, {"MaxUsers", 501}}),
      "MaxUsers must be between 1 and 500, got 501");
  EXPECT_CODE(ParseSearchUsers({{"CollectionId", "staff"}, {"UserId", "alice"}, {"MaxUsers", 0}}),
              StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, SearchUsersByImage) {
  auto r = ParseSearchUsersByImage({{"CollectionId", "staff"},
                                    {"Image", Bytes(kImage)},
                                    {"UserMatchThreshold", 85},
                                    {"MaxUsers", 3},
                                    {"QualityFilter", "AUTO"}},
                                   {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->search.collection_id, "staff");
  EXPECT_EQ(r->image_bytes, kImage);
  EXPECT_FLOAT_EQ(r->search.user_match_threshold, 85.f);
  EXPECT_EQ(r->search.max_users, 3);
  EXPECT_EQ(r->search.quality_filter, QualityFilter::kAuto);

  r = ParseSearchUsersByImage({{"CollectionId", "staff"}, {"Image", Bytes(kImage)}}, {});
  ASSERT_TRUE(r.ok());
  const SearchUsersByImageRequest defaults;
  EXPECT_FLOAT_EQ(r->search.user_match_threshold, defaults.user_match_threshold);
  EXPECT_EQ(r->search.max_users, defaults.max_users);
  EXPECT_EQ(r->search.quality_filter, QualityFilter::kNone);
  EXPECT_CODE(ParseSearchUsersByImage({{"CollectionId", "staff"}}, {}),
              StatusCode::kInvalidArgument);
}

TEST(ParseRequestTest, QualityFilterNames) {
  EXPECT_EQ(*ParseQualityFilter("NONE"), QualityFilter::kNone);
  EXPECT_EQ(*ParseQualityFilter("AUTO"), QualityFilter::kAuto);
  EXPECT_EQ(*ParseQualityFilter("LOW"), QualityFilter::kLow);
  EXPECT_EQ(*ParseQualityFilter("MEDIUM"), QualityFilter::kMedium);
  EXPECT_EQ(*ParseQualityFilter("HIGH"), QualityFilter::kHigh);
  EXPECT_CODE(ParseQualityFilter("high"), StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseQualityFilter(""), StatusCode::kInvalidArgument);
}

// --- Hostile input ---

TEST(HostileRequestTest, BodyNotAnObject) {
  for (const json& body : {json(nullptr), json::array(), json("CollectionId"), json(3),
                           json::array({{{"CollectionId", "staff"}}})}) {
    EXPECT_CODE(ParseCollectionId(body), StatusCode::kSerialization);
    EXPECT_CODE(ParseListCollections(body), StatusCode::kSerialization);
    EXPECT_CODE(ParseDetectFaces(body, {}), StatusCode::kSerialization);
    EXPECT_CODE(ParseSearchUsers(body), StatusCode::kSerialization);
    EXPECT_CODE(ParseSearchUsersByImage(body, {}), StatusCode::kSerialization);
  }
}

TEST(HostileRequestTest, DeeplyNestedMembers) {
  // Bodies are built as text and parsed (nlohmann's parser and destructor
  // are iterative; copying a deep value would recurse).
  const int depth = 100000;
  const std::string nested_array = std::string(depth, '[') + std::string(depth, ']');
  std::string nested_object;
  for (int i = 0; i < depth; ++i) nested_object += "{\"a\":";
  nested_object += "1" + std::string(depth, '}');
  for (const std::string& nested : {nested_array, nested_object}) {
    auto body = [&nested](const std::string& before, const std::string& after = "}") {
      return json::parse(before + nested + after);
    };
    EXPECT_CODE(ParseCollectionId(body(R"({"CollectionId":)")), StatusCode::kSerialization);
    EXPECT_CODE(ParseDeleteFaces(body(R"({"CollectionId":"staff","FaceIds":[)", "]}")),
                StatusCode::kSerialization);
    EXPECT_CODE(ParseDetectFaces(body(R"({"Image":{"Bytes":)", "}}"), {}),
                StatusCode::kSerialization);
    // An Image or S3Object that is an object lacks the members it needs.
    const StatusCode image_code =
        nested[0] == '[' ? StatusCode::kSerialization : StatusCode::kInvalidArgument;
    EXPECT_CODE(ParseDetectFaces(body(R"({"Image":)"), {}), image_code);
    EXPECT_CODE(ParseDetectFaces(body(R"({"Image":{"S3Object":)", "}}"), {}), image_code);
    EXPECT_CODE(ParseSearchFaces(
                    body(R"({"CollectionId":"staff","FaceId":")" + FaceId(1) + R"(","MaxFaces":)")),
                StatusCode::kSerialization);
    EXPECT_CODE(ParseDetectFaces(body(R"({"Image":{"Bytes":"Zm9v"},"Attributes":)"), {}),
                StatusCode::kSerialization);
    EXPECT_CODE(ParseCollectionId(body(R"({"CollectionId":"staff","Tags":{"k":)", "}}")),
                StatusCode::kSerialization);
    // Unknown members, however deep, are ignored.
    EXPECT_TRUE(ParseCollectionId(body(R"({"CollectionId":"staff","Extra":)")).ok());
    // The message does not echo the value.
    auto r = ParseCollectionId(body(R"({"CollectionId":)"));
    ASSERT_FALSE(r.ok());
    EXPECT_LT(r.status().message().size(), 200u);
  }
}

TEST(HostileRequestTest, HugeFaceIdLists) {
  json ids = json::array();
  for (int i = 0; i < 4096; ++i) ids.push_back(FaceId(i));
  auto r = ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", ids}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->face_ids.size(), 4096u);
  ids.push_back(FaceId(4096));
  EXPECT_MESSAGE_HAS(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", ids}}),
                     "FaceIds must hold between 1 and 4096 face ids, got 4097");
  // A million entries cost one pass and no copy of the list.
  json million = json::array();
  for (int i = 0; i < 1000000; ++i) million.push_back("x");
  EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", million}}),
              StatusCode::kInvalidArgument);
  // Items that are not strings.
  for (const json& item :
       {json(1), json(nullptr), json::object(), json::array({FaceId(1)}), json(true)}) {
    SCOPED_TRACE(item.dump());
    EXPECT_CODE(ParseDeleteFaces({{"CollectionId", "staff"}, {"FaceIds", {FaceId(1), item}}}),
                StatusCode::kSerialization);
    EXPECT_CODE(
        ParseAssociateFaces(
            {{"CollectionId", "staff"}, {"UserId", "alice"}, {"FaceIds", json::array({item})}}),
        StatusCode::kSerialization);
  }
}

TEST(HostileRequestTest, Numbers) {
  const json base = {{"CollectionId", "staff"}, {"FaceId", FaceId(1)}};
  auto search = [&base](const char* name, const json& value) {
    json body = base;
    body[name] = value;
    return ParseSearchFaces(body);
  };
  // Thresholds.
  EXPECT_CODE(search("FaceMatchThreshold", 1e308), StatusCode::kInvalidArgument);
  EXPECT_CODE(search("FaceMatchThreshold", -1e308), StatusCode::kInvalidArgument);
  EXPECT_CODE(search("FaceMatchThreshold", std::numeric_limits<double>::quiet_NaN()),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(search("FaceMatchThreshold", std::numeric_limits<double>::infinity()),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(search("FaceMatchThreshold", "NaN"), StatusCode::kSerialization);
  EXPECT_CODE(search("FaceMatchThreshold", "80"), StatusCode::kSerialization);
  EXPECT_CODE(search("FaceMatchThreshold", true), StatusCode::kSerialization);
  EXPECT_CODE(search("FaceMatchThreshold", json::array({80})), StatusCode::kSerialization);
  EXPECT_CODE(search("FaceMatchThreshold", 18446744073709551615ull), StatusCode::kInvalidArgument);
  auto r = search("FaceMatchThreshold", json::parse("-0.0"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->search.face_match_threshold, 0.f);
  r = search("FaceMatchThreshold", json::parse("1e-320"));  // subnormal
  ASSERT_TRUE(r.ok());
  r = search("FaceMatchThreshold", nullptr);  // null: the default
  ASSERT_TRUE(r.ok());
  EXPECT_FLOAT_EQ(r->search.face_match_threshold, 80.f);

  // Counts.
  EXPECT_CODE(search("MaxFaces", 1e308), StatusCode::kInvalidArgument);
  // (1e400 does not parse: the server's body parser refuses it.)
  EXPECT_CODE(search("MaxFaces", std::numeric_limits<double>::infinity()),
              StatusCode::kSerialization);
  EXPECT_CODE(search("MaxFaces", -1), StatusCode::kInvalidArgument);
  EXPECT_CODE(search("MaxFaces", std::numeric_limits<int64_t>::min()),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(search("MaxFaces", 18446744073709551615ull), StatusCode::kInvalidArgument);
  EXPECT_CODE(search("MaxFaces", json::parse("4294967297")), StatusCode::kInvalidArgument);
  EXPECT_CODE(search("MaxFaces", json::parse("99999999999999999999999")),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(search("MaxFaces", std::numeric_limits<double>::quiet_NaN()),
              StatusCode::kSerialization);
  EXPECT_CODE(search("MaxFaces", "NaN"), StatusCode::kSerialization);
  EXPECT_CODE(search("MaxFaces", 2.5), StatusCode::kSerialization);
  EXPECT_CODE(search("MaxFaces", json::parse("-0")), StatusCode::kInvalidArgument);  // 0
  r = search("MaxFaces", json::parse("1e3"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->search.max_faces, 1000);
  auto list = ParseListCollections({{"MaxResults", json::parse("-0")}});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->max_results, 0);
  EXPECT_MESSAGE_HAS(search("MaxFaces", 1e308), "got 1e+308");
}

TEST(HostileRequestTest, StringsWithOddBytes) {
  // NUL and invalid UTF-8 in identifiers are refused by their patterns.
  EXPECT_CODE(ParseCollectionId({{"CollectionId", std::string("a\0b", 3)}}),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseUserRequest({{"CollectionId", "staff"}, {"UserId", "\xc3\xa9"}}),
              StatusCode::kInvalidArgument);
  // A 1 MB CollectionId: refused, and the message stays short.
  auto r = ParseCollectionId({{"CollectionId", std::string(1 << 20, 'a')}});
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.status().message().size(), 400u);
}

}  // namespace
}  // namespace candor::protocol
