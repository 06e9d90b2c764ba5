// Tests of the image module: header sniffing, decoding of every supported
// format and pixel layout, EXIF orientation, the Rekognition limits, and
// hostile input (truncation, forged headers, broken EXIF, fuzzed bytes).
//
// Real faces come from the shared data set: $CANDOR_DATA, else the build's
// CANDOR_DEFAULT_DATA_DIR. Where it is absent, only the test that is about
// the real file skips; the others fall back to a synthetic image.
#include "image/image_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "image/image_header.h"

#ifndef CANDOR_DEFAULT_DATA_DIR
#define CANDOR_DEFAULT_DATA_DIR "../shared/data"
#endif

namespace candor::image {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// Test data.
fs::path DataDir() {
  const char* env = std::getenv("CANDOR_DATA");
  return (env != nullptr && *env != '\0') ? fs::path(env) : fs::path(CANDOR_DEFAULT_DATA_DIR);
}

// lfw/images/Aaron_Peirsol/Aaron_Peirsol_0001.jpg, else any LFW JPEG.
std::optional<fs::path> FindLfwJpeg() {
  std::error_code ec;
  const fs::path images = DataDir() / "lfw" / "images";
  const fs::path preferred = images / "Aaron_Peirsol" / "Aaron_Peirsol_0001.jpg";
  if (fs::is_regular_file(preferred, ec)) return preferred;
  if (!fs::is_directory(images, ec)) return std::nullopt;
  for (auto it = fs::recursive_directory_iterator(images, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".jpg") return it->path();
  }
  return std::nullopt;
}

struct TestFace {
  std::optional<fs::path> path;  // set when the real LFW file was found
  Bytes jpeg;                    // its bytes (or a synthetic JPEG's)
  cv::Mat bgr;                   // its pixels, decoded by OpenCV directly
};

const TestFace& Face() {
  static const TestFace face = [] {
    TestFace f;
    f.path = FindLfwJpeg();
    if (f.path) {
      std::ifstream in(*f.path, std::ios::binary);
      f.jpeg.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else {  // a textured 250x250 stand-in, so that most tests still run
      cv::Mat synthetic(250, 250, CV_8UC3);
      cv::randu(synthetic, 0, 255);
      cv::GaussianBlur(synthetic, synthetic, cv::Size(9, 9), 3);
      cv::circle(synthetic, {125, 110}, 60, {40, 90, 200}, -1);
      cv::imencode(".jpg", synthetic, f.jpeg);
    }
    f.bgr = cv::imdecode(f.jpeg, cv::IMREAD_COLOR);
    return f;
  }();
  return face;
}

// A non-square crop of the face (250 wide, 180 high), so that a swap of
// width and height cannot go unnoticed.
cv::Mat WideFace() { return Face().bgr(cv::Rect(0, 30, 250, 180)).clone(); }

cv::Mat Grey(const cv::Mat& bgr) {
  cv::Mat grey;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  return grey;
}

cv::Mat GreyAsBgr(const cv::Mat& bgr) {
  cv::Mat out;
  cv::cvtColor(Grey(bgr), out, cv::COLOR_GRAY2BGR);
  return out;
}

// `bgr` with a random alpha plane in [alpha_low, alpha_high).
cv::Mat WithAlpha(const cv::Mat& bgr, int alpha_low, int alpha_high) {
  cv::Mat alpha(bgr.size(), CV_8UC1), bgra;
  cv::randu(alpha, alpha_low, alpha_high);
  cv::merge(std::vector<cv::Mat>{bgr, alpha}, bgra);
  return bgra;
}

cv::Mat To16Bit(const cv::Mat& image) {  // 8-bit v -> v*257, whose top byte is v
  cv::Mat out;
  image.convertTo(out, CV_16U, 257);
  return out;
}

Bytes Encode(const cv::Mat& image, const std::string& ext, const std::vector<int>& params = {}) {
  Bytes out;
  EXPECT_TRUE(cv::imencode(ext, image, out, params)) << ext;
  return out;
}

StatusOr<DecodedImage> Decode(const Bytes& bytes, const DecodeLimits& limits = {}) {
  return DecodeImage(bytes.data(), bytes.size(), limits);
}

double MaxAbsDiff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  return cv::norm(a, b, cv::NORM_INF);
}

// Byte builders for hand-made files.
// Appends integers in a chosen byte order; Str and Raw append bytes as given.
class ByteWriter {
 public:
  explicit ByteWriter(bool big_endian = false) : big_endian_(big_endian) {}
  ByteWriter& Raw(const Bytes& b) { return bytes_.insert(bytes_.end(), b.begin(), b.end()), *this; }
  ByteWriter& Str(std::string_view s) { return Raw(Bytes(s.begin(), s.end())); }
  ByteWriter& U8(uint32_t v) { return Raw({static_cast<uint8_t>(v)}); }
  ByteWriter& U16(uint32_t v) { return big_endian_ ? U8(v >> 8).U8(v) : U8(v).U8(v >> 8); }
  ByteWriter& U32(uint32_t v) { return big_endian_ ? U16(v >> 16).U16(v) : U16(v).U16(v >> 16); }
  Bytes& bytes() { return bytes_; }

 private:
  bool big_endian_;
  Bytes bytes_;
};

// A TIFF structure whose IFD0 holds one entry: Orientation (SHORT, 1 value).
Bytes ExifTiff(int orientation, bool big_endian) {
  ByteWriter w(big_endian);
  w.Str(big_endian ? "MM" : "II").U16(42).U32(8);              // header, IFD0 at 8
  w.U16(1).U16(0x0112).U16(3).U32(1).U16(orientation).U16(0);  // one entry
  w.U32(0);                                                    // no next IFD
  return w.bytes();
}

// A JPEG APP1 segment holding `payload` (the "Exif\0\0" prefix is added).
Bytes ExifSegment(const Bytes& tiff) {
  ByteWriter w(/*big_endian=*/true);
  w.U8(0xFF).U8(0xE1).U16(static_cast<uint32_t>(tiff.size() + 8));
  w.Str(std::string_view("Exif\0\0", 6)).Raw(tiff);
  return w.bytes();
}

Bytes InsertAfterSoi(const Bytes& jpeg, const Bytes& segment) {
  Bytes out = jpeg;
  out.insert(out.begin() + 2, segment.begin(), segment.end());
  return out;
}

uint32_t Crc32(const uint8_t* data, size_t size) {  // PNG's CRC (ISO 3309)
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void AppendPngChunk(ByteWriter& w, std::string_view type, const Bytes& data) {
  ByteWriter chunk(/*big_endian=*/true);
  chunk.Str(type).Raw(data);
  w.U32(static_cast<uint32_t>(data.size())).Raw(chunk.bytes());
  w.U32(Crc32(chunk.bytes().data(), chunk.bytes().size()));
}

// A PNG whose IHDR (with a correct CRC) declares width x height 8-bit grey,
// followed by a tiny IDAT and IEND: a decompression bomb's header.
Bytes PngWithDeclaredSize(uint32_t width, uint32_t height) {
  ByteWriter w(/*big_endian=*/true);
  w.Str(std::string_view("\x89PNG\r\n\x1a\n", 8));
  ByteWriter ihdr(/*big_endian=*/true);
  ihdr.U32(width).U32(height).U8(8).U8(0).U8(0).U8(0).U8(0);
  AppendPngChunk(w, "IHDR", ihdr.bytes());
  AppendPngChunk(w, "IDAT", {0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01});
  AppendPngChunk(w, "IEND", {});
  return w.bytes();
}

// Offset of the first SOF0/SOF2 marker (FF C0 / FF C2) in a JPEG.
size_t FindSof(const Bytes& jpeg) {
  for (size_t i = 2; i + 1 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && (jpeg[i + 1] == 0xC0 || jpeg[i + 1] == 0xC2)) return i;
  }
  return 0;
}

// Builds a baseline CMYK JPEG (Adobe APP14, 4 components, no subsampling) by
// hand, since libjpeg as wrapped by cv::imencode cannot write CMYK. Each 8x8
// block is flat (DC only), so no DCT is needed: with a DC quantiser of 8 the
// quantised DC is the block mean minus 128. C, M and Y are 255 and K is the
// block mean of `grey`: Adobe CMYK is stored inverted (255 = no ink), so the
// image should decode to grey BGR equal to the block means, returned in
// `expected`. `grey` is CV_8UC1 with sides that are multiples of 8.
Bytes MakeCmykJpeg(const cv::Mat& grey, cv::Mat* expected) {
  const int bw = grey.cols / 8, bh = grey.rows / 8;
  ByteWriter w(/*big_endian=*/true);
  w.U16(0xFFD8);
  w.U16(0xFFEE).U16(14).Str("Adobe").U16(100).U16(0).U16(0).U8(0);  // APP14, transform 0
  w.U16(0xFFDB).U16(67).U8(0).U8(8);                                // DQT: DC 8, AC 1
  for (int i = 1; i < 64; ++i) w.U8(1);
  w.U16(0xFFC0).U16(8 + 3 * 4).U8(8).U16(grey.rows).U16(grey.cols).U8(4);  // SOF0
  for (int c = 1; c <= 4; ++c) w.U8(c).U8(0x11).U8(0);
  // DC table: categories 0..11, all 4-bit codes (code == category).
  w.U16(0xFFC4).U16(2 + 1 + 16 + 12).U8(0x00);
  for (int len = 1; len <= 16; ++len) w.U8(len == 4 ? 12 : 0);
  for (int s = 0; s < 12; ++s) w.U8(s);
  // AC table: only end-of-block, as the 1-bit code '0'.
  w.U16(0xFFC4).U16(2 + 1 + 16 + 1).U8(0x10);
  for (int len = 1; len <= 16; ++len) w.U8(len == 1 ? 1 : 0);
  w.U8(0x00);
  w.U16(0xFFDA).U16(6 + 2 * 4).U8(4);  // SOS
  for (int c = 1; c <= 4; ++c) w.U8(c).U8(0x00);
  w.U8(0).U8(63).U8(0);

  // Entropy-coded data: bits MSB first, 0x00 stuffed after each 0xFF byte.
  Bytes scan;
  int acc = 0, filled = 0;
  auto put = [&](int bits, int count) {
    for (int i = count - 1; i >= 0; --i) {
      acc = acc << 1 | ((bits >> i) & 1);
      if (++filled < 8) continue;
      scan.push_back(static_cast<uint8_t>(acc));
      if (acc == 0xFF) scan.push_back(0x00);
      acc = filled = 0;
    }
  };
  *expected = cv::Mat(grey.size(), CV_8UC3);
  int predictor[4] = {0, 0, 0, 0};
  for (int by = 0; by < bh; ++by) {
    for (int bx = 0; bx < bw; ++bx) {
      const cv::Rect block(bx * 8, by * 8, 8, 8);
      const int mean = static_cast<int>(std::lround(cv::mean(grey(block))[0]));
      (*expected)(block).setTo(cv::Scalar(mean, mean, mean));
      const int dc[4] = {127, 127, 127, mean - 128};  // C, M, Y = 255; K = mean
      for (int c = 0; c < 4; ++c) {
        const int diff = dc[c] - predictor[c];
        predictor[c] = dc[c];
        int category = 0;
        while ((std::abs(diff) >> category) != 0) ++category;
        put(category, 4);
        if (category > 0) put(diff >= 0 ? diff : diff + (1 << category) - 1, category);
        put(0, 1);  // end of block
      }
    }
  }
  while (filled != 0) put(1, 1);  // pad the last byte with 1-bits
  w.Raw(scan).U16(0xFFD9);
  return w.bytes();
}

// A baseline uncompressed RGB TIFF with an Orientation tag, which
// cv::imencode cannot write. Width is a LONG and height a SHORT, to cover
// both types.
Bytes MakeRgbTiff(const cv::Mat& bgr, int orientation, bool big_endian) {
  const uint32_t w = bgr.cols, h = bgr.rows, entries = 10;
  const uint32_t bits_offset = 8 + 2 + 12 * entries + 4, pixels_offset = bits_offset + 6;
  ByteWriter t(big_endian);
  t.Str(big_endian ? "MM" : "II").U16(42).U32(8).U16(entries);
  auto entry = [&](uint16_t tag, uint16_t type, uint32_t value) {
    const bool inline_short = type == 3 && tag != 258;  // SHORT values are left-justified
    t.U16(tag).U16(type).U32(tag == 258 ? 3 : 1);
    inline_short ? t.U16(value).U16(0) : t.U32(value);
  };
  entry(256, 4, w);              // ImageWidth (LONG)
  entry(257, 3, h);              // ImageLength (SHORT)
  entry(258, 3, bits_offset);    // BitsPerSample: 3 SHORTs at an offset
  entry(259, 3, 1);              // Compression: none
  entry(262, 3, 2);              // Photometric: RGB
  entry(273, 4, pixels_offset);  // StripOffsets
  entry(274, 3, orientation);    // Orientation
  entry(277, 3, 3);              // SamplesPerPixel
  entry(278, 4, h);              // RowsPerStrip
  entry(279, 4, w * h * 3);      // StripByteCounts
  t.U32(0).U16(8).U16(8).U16(8);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  for (int y = 0; y < rgb.rows; ++y) t.Raw(Bytes(rgb.ptr(y), rgb.ptr(y) + rgb.cols * 3));
  return t.bytes();
}

// A 24-bit BMP with a negative height (rows stored top-down).
Bytes MakeTopDownBmp(const cv::Mat& bgr) {
  const uint32_t stride = (bgr.cols * 3 + 3) / 4 * 4, image_size = stride * bgr.rows;
  ByteWriter b;
  b.Str("BM").U32(54 + image_size).U32(0).U32(54);
  b.U32(40).U32(bgr.cols).U32(static_cast<uint32_t>(-bgr.rows)).U16(1).U16(24).U32(0);
  b.U32(image_size).U32(2835).U32(2835).U32(0).U32(0);
  const Bytes padding(stride - bgr.cols * 3, 0);
  for (int y = 0; y < bgr.rows; ++y)
    b.Raw(Bytes(bgr.ptr(y), bgr.ptr(y) + bgr.cols * 3)).Raw(padding);
  return b.bytes();
}

// The EXIF reference, written independently of ApplyExifOrientation: mirror
// horizontally for the mirrored tags, then rotate clockwise.
cv::Mat ReferenceOrient(const cv::Mat& stored, int tag, Orientation rotation) {
  cv::Mat out = stored.clone();
  if (tag == 2 || tag == 4 || tag == 5 || tag == 7) cv::flip(out, out, 1);
  if (rotation == Orientation::kRotate90) cv::rotate(out, out, cv::ROTATE_90_CLOCKWISE);
  if (rotation == Orientation::kRotate180) cv::rotate(out, out, cv::ROTATE_180);
  if (rotation == Orientation::kRotate270) cv::rotate(out, out, cv::ROTATE_90_COUNTERCLOCKWISE);
  return out;
}

// Checks the header and the decoded pixels of an encoded test image.
// `max_diff` bounds the per-pixel difference; `min_psnr` is for lossy codecs.
void ExpectDecodes(const Bytes& bytes, ImageFormat format, const cv::Mat& expected_bgr,
                   double max_diff, double min_psnr = 0) {
  const StatusOr<ImageHeader> header = ReadImageHeader(bytes.data(), bytes.size());
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->format, format);
  EXPECT_EQ(cv::Size(header->width, header->height), expected_bgr.size());
  EXPECT_EQ(header->exif_orientation, 1);

  const StatusOr<DecodedImage> decoded = Decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->format, format);
  EXPECT_EQ(decoded->bgr.type(), CV_8UC3);
  ASSERT_EQ(decoded->bgr.size(), expected_bgr.size());
  EXPECT_EQ(cv::Size(decoded->stored_width, decoded->stored_height), expected_bgr.size());
  EXPECT_EQ(decoded->orientation_correction, Orientation::kRotate0);
  if (min_psnr > 0) {
    EXPECT_GE(cv::PSNR(decoded->bgr, expected_bgr), min_psnr);
  } else {
    EXPECT_LE(MaxAbsDiff(decoded->bgr, expected_bgr), max_diff);
  }
}

// Real data.
TEST(RealDataTest, LfwJpegDecodesTo250x250UprightBgr) {
  if (!Face().path) GTEST_SKIP() << "LFW not found under " << DataDir() << "; set CANDOR_DATA";
  ASSERT_EQ(Face().bgr.size(), cv::Size(250, 250));
  ExpectDecodes(Face().jpeg, ImageFormat::kJpeg, cv::imread(Face().path->string()), 0);
  cv::Scalar mean, stddev;
  cv::meanStdDev(Face().bgr, mean, stddev);
  EXPECT_GT(stddev[0], 10) << "a face photo is not flat";
}

TEST(RealDataTest, LfwFileDecodesLikeItsBytesAndIsSizeCheckedFirst) {
  if (!Face().path) GTEST_SKIP() << "LFW not found under " << DataDir() << "; set CANDOR_DATA";
  const StatusOr<DecodedImage> decoded = DecodeImageFile(Face().path->string());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(MaxAbsDiff(decoded->bgr, Face().bgr), 0);
  DecodeLimits small;
  small.max_bytes = 1000;  // below the file's size: refused from stat alone
  const StatusOr<DecodedImage> refused = DecodeImageFile(Face().path->string(), small);
  EXPECT_EQ(refused.status().code(), StatusCode::kImageTooLarge);
  EXPECT_NE(refused.status().message().find(Face().path->string()), std::string::npos);
}

// EXIF orientation.
struct ExifCase {
  int tag;
  bool big_endian;
  Orientation expected;
};

// Every tag in both byte orders, on a JPEG whose APP1 is added by hand.
constexpr ExifCase kExifCases[] = {
    {1, false, Orientation::kRotate0},   {6, false, Orientation::kRotate90},
    {6, true, Orientation::kRotate90},   {3, false, Orientation::kRotate180},
    {3, true, Orientation::kRotate180},  {8, false, Orientation::kRotate270},
    {8, true, Orientation::kRotate270},  {2, true, Orientation::kRotate0},
    {4, false, Orientation::kRotate180}, {5, true, Orientation::kRotate270},
    {7, false, Orientation::kRotate90}};

// Checks that `bytes`, which store `stored` with EXIF orientation c.tag,
// decode to the reference orientation and report c.expected.
void ExpectOriented(const Bytes& bytes, const cv::Mat& stored, const ExifCase& c) {
  SCOPED_TRACE("tag " + std::to_string(c.tag) + (c.big_endian ? " MM" : " II"));
  const StatusOr<ImageHeader> header = ReadImageHeader(bytes.data(), bytes.size());
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->exif_orientation, c.tag);
  EXPECT_EQ(cv::Size(header->width, header->height), stored.size());
  const StatusOr<DecodedImage> decoded = Decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->orientation_correction, c.expected);
  EXPECT_EQ(cv::Size(decoded->stored_width, decoded->stored_height), stored.size());
  const bool quarter =
      c.expected == Orientation::kRotate90 || c.expected == Orientation::kRotate270;
  EXPECT_EQ(decoded->bgr.cols, quarter ? stored.rows : stored.cols);
  // Same compressed pixels as `stored`, so they must match exactly.
  EXPECT_EQ(MaxAbsDiff(decoded->bgr, ReferenceOrient(stored, c.tag, c.expected)), 0);
}

TEST(ExifOrientationTest, JpegTagsAreAppliedAndReportedByRotation) {
  const Bytes plain = Encode(WideFace(), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  const StatusOr<DecodedImage> stored = Decode(plain);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->bgr.size(), cv::Size(250, 180));
  for (const ExifCase& c : kExifCases) {
    ExpectOriented(InsertAfterSoi(plain, ExifSegment(ExifTiff(c.tag, c.big_endian))), stored->bgr,
                   c);
  }
  // Orientation 6 on the unmodified real file: a clockwise quarter turn.
  ExpectOriented(InsertAfterSoi(Face().jpeg, ExifSegment(ExifTiff(6, false))), Face().bgr,
                 {6, false, Orientation::kRotate90});
}

TEST(ExifOrientationTest, HostileExifFallsBackToUpright) {
  const Bytes plain = Encode(WideFace(), ".jpg");
  const StatusOr<DecodedImage> reference = Decode(plain);
  ASSERT_TRUE(reference.ok());
  auto tiff = [](bool be, uint32_t ifd_offset, uint16_t count, Bytes tail) {
    ByteWriter w(be);
    w.Str(be ? "MM" : "II").U16(42).U32(ifd_offset).U16(count).Raw(tail);
    return w.bytes();
  };
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"IFD offset outside the block", tiff(false, 0xFFFFFFF0u, 1, {})},
      {"IFD offset just before the end", tiff(true, 9, 1, {})},
      {"entry count 65535 with no entries", tiff(false, 8, 0xFFFF, {})},
      {"IFD0 at offset 0 (reads the header as IFD)", tiff(false, 0, 1, Bytes(12, 0))},
      {"IFD0 points at itself as next IFD", tiff(false, 8, 0, {8, 0, 0, 0})},
      {"orientation 9", ExifTiff(9, false)},
      {"orientation 0", ExifTiff(0, true)},
      {"orientation 0xFFFF", ExifTiff(0xFFFF, false)},
      {"orientation of ASCII type",
       tiff(false, 8, 1, ByteWriter().U16(0x0112).U16(2).U32(1).U32(6).bytes())},
      {"orientation with 2 values",
       tiff(false, 8, 1, ByteWriter().U16(0x0112).U16(3).U32(2).U32(6).bytes())},
      {"TIFF header only", Bytes{'I', 'I', 42, 0}},
      {"unknown byte order", Bytes{'I', 'M', 42, 0, 8, 0, 0, 0}},
      {"wrong magic", Bytes{'M', 'M', 0, 43, 0, 0, 0, 8}},
      {"empty TIFF", Bytes{}},
  };
  for (const auto& [name, block] : cases) {
    SCOPED_TRACE(name);
    const Bytes tagged = InsertAfterSoi(plain, ExifSegment(block));
    EXPECT_EQ(ReadExifOrientation(block.data(), block.size()), 1);
    const StatusOr<DecodedImage> decoded = Decode(tagged);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->orientation_correction, Orientation::kRotate0);
    EXPECT_EQ(MaxAbsDiff(decoded->bgr, reference->bgr), 0);
  }
  // An APP1 segment too short to hold the "Exif" signature is ignored too.
  const Bytes empty_app1 = InsertAfterSoi(plain, {0xFF, 0xE1, 0x00, 0x02});
  const StatusOr<DecodedImage> decoded = Decode(empty_app1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->orientation_correction, Orientation::kRotate0);
}

// OpenCV's TIFF decoder applies tag 274 itself; the decoder must not apply
// it a second time, and must still report it.
TEST(ExifOrientationTest, TiffOrientationTagIsAppliedOnce) {
  const cv::Mat small = WideFace()(cv::Rect(0, 0, 120, 90)).clone();
  ExpectDecodes(MakeRgbTiff(small, 1, false), ImageFormat::kTiff, small, 0);
  for (const ExifCase& c : kExifCases)
    ExpectOriented(MakeRgbTiff(small, c.tag, c.big_endian), small, c);
}

// Formats and pixel layouts: all come out as CV_8UC3 BGR.
TEST(FormatTest, PngGreySixteenBitAndAlphaDecodeToBgr) {
  const cv::Mat face = WideFace();
  ExpectDecodes(Encode(Grey(face), ".png"), ImageFormat::kPng, GreyAsBgr(face), 0);
  ExpectDecodes(Encode(To16Bit(Grey(face)), ".png"), ImageFormat::kPng, GreyAsBgr(face), 1);
  ExpectDecodes(Encode(To16Bit(face), ".png"), ImageFormat::kPng, face, 1);
  // Alpha is dropped, not composited: it must not leak into the colour.
  ExpectDecodes(Encode(WithAlpha(face, 0, 256), ".png"), ImageFormat::kPng, face, 0);
}

TEST(FormatTest, WebpLossyLosslessAndExtendedDecode) {
  const cv::Mat face = WideFace();
  // Alpha not all opaque (libwebp writes plain VP8 for an opaque alpha
  // plane) and never zero (lossy WebP may alter the RGB of transparent pixels).
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"VP8 ", Encode(face, ".webp", {cv::IMWRITE_WEBP_QUALITY, 90})},
      {"VP8L", Encode(face, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101})},
      {"VP8X", Encode(WithAlpha(face, 128, 256), ".webp", {cv::IMWRITE_WEBP_QUALITY, 90})},
  };
  for (const auto& [fourcc, webp] : cases) {
    SCOPED_TRACE(fourcc);
    ASSERT_GT(webp.size(), 16u);
    EXPECT_EQ(std::string(webp.begin() + 12, webp.begin() + 16), fourcc);
    const bool lossless = fourcc == "VP8L";
    ExpectDecodes(webp, ImageFormat::kWebp, face, 0, /*min_psnr=*/lossless ? 0 : 28);
  }
}

TEST(FormatTest, BmpColourGreyAndTopDownDecode) {
  const cv::Mat face = WideFace();
  ExpectDecodes(Encode(face, ".bmp"), ImageFormat::kBmp, face, 0);
  ExpectDecodes(Encode(Grey(face), ".bmp"), ImageFormat::kBmp, GreyAsBgr(face), 0);  // palette
  // 90 px rows need padding to 272 bytes; negative height = top-down rows.
  const cv::Mat odd = face(cv::Rect(3, 5, 90, 100)).clone();
  ExpectDecodes(MakeTopDownBmp(odd), ImageFormat::kBmp, odd, 0);
}

TEST(FormatTest, TiffColourSixteenBitAndGreyDecode) {
  const cv::Mat face = WideFace();
  ExpectDecodes(Encode(face, ".tiff"), ImageFormat::kTiff, face, 0);
  ExpectDecodes(Encode(To16Bit(face), ".tiff"), ImageFormat::kTiff, face, 1);
  ExpectDecodes(Encode(Grey(face), ".tiff"), ImageFormat::kTiff, GreyAsBgr(face), 0);
}

TEST(FormatTest, GreyJpegDecodesToBgr) {
  const Bytes jpeg = Encode(Grey(WideFace()), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  ExpectDecodes(jpeg, ImageFormat::kJpeg, GreyAsBgr(WideFace()), 0, /*min_psnr=*/35);
}

TEST(FormatTest, HandMadeCmykJpegDecodesToBgr) {
  cv::Mat small, expected;
  cv::resize(Grey(Face().bgr), small, cv::Size(128, 96), 0, 0, cv::INTER_AREA);
  ExpectDecodes(MakeCmykJpeg(small, &expected), ImageFormat::kJpeg, expected, 2);
}

// Limits.
TEST(LimitsTest, SideBelowMinimumIsInvalidArgument) {
  auto resized = [](int width, int height) {
    cv::Mat out;
    cv::resize(Face().bgr, out, cv::Size(width, height));
    return out;
  };
  const cv::Mat narrow = resized(79, 200);
  EXPECT_EQ(Decode(Encode(resized(1, 1), ".png")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Decode(Encode(narrow, ".png")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Decode(Encode(resized(200, 79), ".jpg")).status().code(), StatusCode::kInvalidArgument);
  const StatusOr<DecodedImage> ok = Decode(Encode(resized(80, 80), ".png"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->bgr.size(), cv::Size(80, 80));
  // An EXIF quarter turn of 79x200 is still below the minimum.
  const Bytes rotated = InsertAfterSoi(Encode(narrow, ".jpg"), ExifSegment(ExifTiff(6, false)));
  EXPECT_EQ(Decode(rotated).status().code(), StatusCode::kInvalidArgument);
}

TEST(LimitsTest, DecompressionBombHeadersAreRefusedBeforeDecoding) {
  const Bytes bomb = PngWithDeclaredSize(100000, 100000);
  const StatusOr<ImageHeader> header = ReadImageHeader(bomb.data(), bomb.size());
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(cv::Size(header->width, header->height), cv::Size(100000, 100000));
  EXPECT_EQ(Decode(bomb).status().code(), StatusCode::kImageTooLarge);
  // One side above max_side, though few pixels; and pixels above max_pixels.
  EXPECT_EQ(Decode(PngWithDeclaredSize(16385, 100)).status().code(), StatusCode::kImageTooLarge);
  EXPECT_EQ(Decode(PngWithDeclaredSize(7000, 7000)).status().code(), StatusCode::kImageTooLarge);
  // Within the limits the same forged file reaches the decoder and fails there.
  EXPECT_EQ(Decode(PngWithDeclaredSize(100, 100)).status().code(), StatusCode::kInvalidImageFormat);

  Bytes jpeg = Face().jpeg;
  const size_t sof = FindSof(jpeg);
  ASSERT_GT(sof, 0u);
  for (size_t at : {sof + 5, sof + 7}) {  // height, width
    jpeg[at] = 60000 >> 8;
    jpeg[at + 1] = 60000 & 0xFF;
  }
  const StatusOr<DecodedImage> decoded = Decode(jpeg);
  EXPECT_EQ(decoded.status().code(), StatusCode::kImageTooLarge);
  EXPECT_NE(decoded.status().message().find("60000x60000"), std::string::npos)
      << decoded.status().message();
}

TEST(LimitsTest, BytesAboveMaxBytesAreImageTooLarge) {
  Bytes padded = Face().jpeg;
  padded.resize(6 * 1024 * 1024, 0xAB);  // a real JPEG followed by junk: 6 MiB
  EXPECT_EQ(Decode(padded).status().code(), StatusCode::kImageTooLarge);

  DecodeLimits limits;
  limits.max_bytes = Face().jpeg.size();
  EXPECT_TRUE(Decode(Face().jpeg, limits).ok());
  limits.max_bytes = Face().jpeg.size() - 1;
  EXPECT_EQ(Decode(Face().jpeg, limits).status().code(), StatusCode::kImageTooLarge);
}

TEST(LimitsTest, CustomLimitsAreHonoured) {
  auto code_with = [](auto edit) {
    DecodeLimits limits;
    edit(limits);
    return Decode(Face().jpeg, limits).status().code();
  };
  // The 250x250 face against tighter limits, and nonsense limits.
  EXPECT_EQ(code_with([](DecodeLimits& l) { l.max_side = 200; }), StatusCode::kImageTooLarge);
  EXPECT_EQ(code_with([](DecodeLimits& l) { l.max_pixels = 250 * 250 - 1; }),
            StatusCode::kImageTooLarge);
  EXPECT_EQ(code_with([](DecodeLimits& l) { l.min_side = 251; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_with([](DecodeLimits& l) { l.max_side = 0; }), StatusCode::kInvalidArgument);
}

// Hostile input.
TEST(HostileInputTest, EmptyIsInvalidArgumentAndNonImagesAreInvalidImageFormat) {
  const StatusOr<DecodedImage> empty = Decode(Bytes{});
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "image is empty (0 bytes)");
  EXPECT_EQ(DecodeImage(nullptr, 0).status().code(), StatusCode::kInvalidArgument);

  std::mt19937 rng(1234);
  Bytes noise(1000);
  for (uint8_t& b : noise) b = static_cast<uint8_t>(rng());
  noise[0] = 0x00;  // no accidental magic
  EXPECT_EQ(Decode(noise).status().code(), StatusCode::kInvalidImageFormat);

  const std::string text = "hello world this is not an image";
  const StatusOr<DecodedImage> decoded = Decode(Bytes(text.begin(), text.end()));
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidImageFormat);
  EXPECT_NE(decoded.status().message().find("unrecognised"), std::string::npos);

  const std::string gif = "GIF89a\x10\x00\x10\x00";
  const StatusOr<DecodedImage> gif_decoded = Decode(Bytes(gif.begin(), gif.end()));
  EXPECT_EQ(gif_decoded.status().code(), StatusCode::kInvalidImageFormat);
  EXPECT_NE(gif_decoded.status().message().find("GIF"), std::string::npos);
}

TEST(HostileInputTest, TruncatedJpegAndPngAreInvalidImageFormat) {
  const Bytes& jpeg = Face().jpeg;
  // libjpeg would decode this prefix with a warning and grey rows; the
  // missing end-of-image marker is what tells us.
  const Bytes most(jpeg.begin(), jpeg.begin() + jpeg.size() * 6 / 10);
  const StatusOr<DecodedImage> decoded = Decode(most);
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidImageFormat);
  EXPECT_NE(decoded.status().message().find("truncated"), std::string::npos)
      << decoded.status().message();
  EXPECT_EQ(Decode(Bytes(jpeg.begin(), jpeg.begin() + 20)).status().code(),
            StatusCode::kInvalidImageFormat);
  // Data after the end-of-image marker (camera trailers) is accepted.
  Bytes trailer = jpeg;
  trailer.insert(trailer.end(), 5000, 0x00);
  EXPECT_TRUE(Decode(trailer).ok());

  // A photo's PNG is nearly all IDAT, so half of it ends inside IDAT; the
  // last 12 bytes are the IEND chunk.
  const Bytes png = Encode(WideFace(), ".png");
  ASSERT_EQ(std::string(png.end() - 8, png.end() - 4), "IEND");
  const Bytes half(png.begin(), png.begin() + png.size() / 2);
  EXPECT_EQ(Decode(half).status().code(), StatusCode::kInvalidImageFormat);
  const StatusOr<DecodedImage> no_iend = Decode(Bytes(png.begin(), png.end() - 12));
  EXPECT_EQ(no_iend.status().code(), StatusCode::kInvalidImageFormat);
  EXPECT_NE(no_iend.status().message().find("IEND"), std::string::npos);
}

TEST(HostileInputTest, MalformedHeadersNameTheProblem) {
  Bytes zero_width = PngWithDeclaredSize(0, 100);
  Bytes bmp_min_height = Encode(WideFace(), ".bmp");
  const uint8_t int32_min_le[4] = {0x00, 0x00, 0x00, 0x80};
  std::copy(int32_min_le, int32_min_le + 4, bmp_min_height.begin() + 22);  // height
  Bytes webp_unknown = Encode(WideFace(), ".webp");
  webp_unknown[12] = 'A';
  Bytes tiff_no_width = MakeRgbTiff(WideFace()(cv::Rect(0, 0, 8, 8)), 1, false);
  tiff_no_width[10] = 0x99;  // first entry's tag 256 -> 0x199
  const std::vector<std::tuple<std::string, Bytes, std::string>> cases = {
      {"JPEG SOI only", Bytes{0xFF, 0xD8, 0xFF}, "truncated"},
      {"JPEG segment length 1", Bytes{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0, 0}, "length"},
      {"JPEG segment past end", Bytes{0xFF, 0xD8, 0xFF, 0xE0, 0x10, 0x00, 0, 0}, "truncated"},
      {"JPEG scan before frame", Bytes{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02}, "SOS"},
      {"JPEG zero height (DNL)",
       Bytes{0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8, 0, 0, 0, 100, 1, 1, 0x11, 0}, "DNL"},
      {"JPEG two SOI", Bytes{0xFF, 0xD8, 0xFF, 0xD8}, "SOI"},
      {"PNG zero width", zero_width, "zero width"},
      {"PNG signature only", Bytes{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, "IHDR"},
      {"BMP INT_MIN height", bmp_min_height, "height"},
      {"WebP unknown chunk", webp_unknown, "VP8"},
      {"TIFF without ImageWidth", tiff_no_width, "ImageWidth"},
      {"TIFF IFD outside", Bytes{'I', 'I', 42, 0, 0xFF, 0xFF, 0, 0}, "IFD0"},
      {"BigTIFF", Bytes{'I', 'I', 43, 0, 8, 0, 0, 0}, "BigTIFF"},
  };
  for (const auto& [name, data, keyword] : cases) {
    SCOPED_TRACE(name);
    const StatusOr<ImageHeader> header = ReadImageHeader(data.data(), data.size());
    ASSERT_FALSE(header.ok());
    EXPECT_EQ(header.status().code(), StatusCode::kInvalidImageFormat);
    EXPECT_NE(header.status().message().find(keyword), std::string::npos)
        << header.status().message();
    EXPECT_EQ(Decode(data).status().code(), StatusCode::kInvalidImageFormat);
  }
}

// Every encoded form of the face used by the fuzz tests below.
std::vector<std::pair<std::string, Bytes>> AllFormats(const cv::Mat& image) {
  return {{"JPEG", Encode(image, ".jpg")},
          {"PNG", Encode(image, ".png")},
          {"WebP", Encode(image, ".webp")},
          {"BMP", Encode(image, ".bmp")},
          {"TIFF", Encode(image, ".tiff")}};
}

// Cheap fuzzing: no prefix of a valid file decodes, and none crashes. Short
// prefixes are tried one by one, longer ones at ~150 evenly spaced cuts.
TEST(HostileInputTest, EveryPrefixIsRejectedWithoutCrashing) {
  for (const auto& [name, full] : AllFormats(Face().bgr)) {
    SCOPED_TRACE(name);
    ASSERT_GT(full.size(), 600u);
    ASSERT_TRUE(Decode(full).ok());
    std::vector<size_t> lengths;
    for (size_t n = 0; n <= 600; ++n) lengths.push_back(n);
    for (size_t n = 601; n < full.size(); n += full.size() / 150 + 1) lengths.push_back(n);
    lengths.push_back(full.size() - 1);
    for (size_t n : lengths) {
      const Bytes prefix(full.begin(), full.begin() + n);
      (void)ReadImageHeader(prefix.data(), prefix.size());
      const StatusOr<DecodedImage> decoded = Decode(prefix);
      EXPECT_FALSE(decoded.ok()) << "prefix of " << n << " of " << full.size() << " bytes";
      if (n > 0) {
        EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidImageFormat) << "prefix " << n;
      }
    }
  }
}

// Random byte mutations (fixed seeds): each result is an error or a valid
// image within the limits, never a crash (run under ASan/UBSan to see UB).
TEST(HostileInputTest, RandomMutationsNeverCrash) {
  cv::Mat small;
  cv::resize(Face().bgr, small, cv::Size(96, 96), 0, 0, cv::INTER_AREA);
  std::mt19937 rng(20240501);
  for (const auto& [name, original] : AllFormats(small)) {
    SCOPED_TRACE(name);
    const int rounds = name == "JPEG" ? 2000 : 300;
    int decoded_ok = 0;
    for (int round = 0; round < rounds; ++round) {
      Bytes mutated = original;
      const int edits = 1 + static_cast<int>(rng() % 8);
      for (int e = 0; e < edits; ++e) {
        // Favour the header region, where the parsers are.
        const size_t span =
            (rng() % 2 == 0) ? std::min<size_t>(mutated.size(), 200) : mutated.size();
        uint8_t& byte = mutated[rng() % span];
        const uint32_t kind = rng() % 3;  // random byte, bit flip, or 0xFF / 0x00
        byte = kind == 0   ? static_cast<uint8_t>(rng())
               : kind == 1 ? static_cast<uint8_t>(byte ^ (1u << (rng() % 8)))
                           : static_cast<uint8_t>(rng() % 2 ? 0xFF : 0x00);
      }
      const StatusOr<DecodedImage> decoded = Decode(mutated);
      if (!decoded.ok()) continue;
      ++decoded_ok;
      EXPECT_EQ(decoded->bgr.type(), CV_8UC3);
      EXPECT_GE(std::min(decoded->bgr.cols, decoded->bgr.rows), DecodeLimits{}.min_side);
      EXPECT_LE(int64_t{decoded->bgr.cols} * decoded->bgr.rows, DecodeLimits{}.max_pixels);
    }
    RecordProperty(name + "_mutants_decoded", decoded_ok);
  }
}

// Files.
// A fresh directory under the system temp dir, removed with its contents.
struct TempDir {
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path, ec); }
  fs::path Write(const std::string& name, const Bytes& bytes) const {
    std::ofstream(path / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return path / name;
  }
  fs::path path =
      fs::temp_directory_path() / ("candor_image_test_" + std::to_string(std::random_device{}()));
  std::error_code ec;
};

TEST(DecodeImageFileTest, MissingFileIsNotFoundAndDirectoryIsRefused) {
  const TempDir dir;
  const std::string path = (dir.path / "does_not_exist.jpg").string();
  const StatusOr<DecodedImage> missing = DecodeImageFile(path);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
  const StatusCode code = DecodeImageFile(dir.path.string()).status().code();
  EXPECT_TRUE(code == StatusCode::kInvalidArgument || code == StatusCode::kIOError)
      << static_cast<int>(code);
}

TEST(DecodeImageFileTest, WrittenFilesDecodeOrFailAsTheirBytesDo) {
  const TempDir dir;
  Bytes big = Face().jpeg;
  big.resize(6 * 1024 * 1024 + 1, 0);
  const StatusOr<DecodedImage> decoded =
      DecodeImageFile(dir.Write("face.png", Encode(WideFace(), ".png")).string());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->format, ImageFormat::kPng);
  EXPECT_EQ(MaxAbsDiff(decoded->bgr, WideFace()), 0);
  EXPECT_EQ(DecodeImageFile(dir.Write("empty.jpg", {}).string()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeImageFile(dir.Write("big.jpg", big).string()).status().code(),
            StatusCode::kImageTooLarge);
}

}  // namespace
}  // namespace candor::image
