// Image decoding: encoded bytes (JPEG, PNG, WebP, BMP, TIFF) to an upright
// 8-bit BGR matrix, with Rekognition's size limits and EXIF orientation.
//
// This is the one adapter between Candor and OpenCV's image codecs: OpenCV
// exceptions are caught here and become a Status; nothing thrown escapes.
//
// Decoding untrusted bytes is done in this order (each step a cheap guard for
// the next, more expensive one):
//   1. empty input                       -> kInvalidArgument
//   2. byte size above max_bytes         -> kImageTooLarge
//   3. header sniffing (image_header.h)  -> kInvalidImageFormat
//   4. header dimensions above limits    -> kImageTooLarge
//   5. stream completeness (truncation)  -> kInvalidImageFormat
//   6. cv::imdecode; empty result, an exception, or a size different from
//      the header's                      -> kInvalidImageFormat
//   7. EXIF orientation applied (OpenCV's TIFF decoder applies it itself)
//   8. a side below min_side             -> kInvalidArgument
//
// Why step 4 exists although OpenCV has its own limit: cv::imdecode refuses
// images above CV_IO_MAX_IMAGE_PIXELS (2^30 pixels) only after it has created
// the codec's decoder state, and it still accepts anything below that, which
// is a 3 GiB BGR buffer. A 100-byte PNG can declare 100000x100000 pixels; we
// refuse it from its header, before OpenCV sees a single byte. Step 3 also
// means that only the five formats above ever reach OpenCV's decoders.
//
// Thread safety: all functions are stateless and may be called concurrently
// (cv::imdecode is thread-safe). Results own their pixels.
#ifndef CANDOR_IMAGE_IMAGE_DECODER_H_
#define CANDOR_IMAGE_IMAGE_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>

#include "candor/status.h"
#include "candor/types.h"
#include "image/image_header.h"

namespace candor::image {

// Limits on what DecodeImage accepts. The defaults are Amazon Rekognition's.
struct DecodeLimits {
  // Rekognition: 5 MB for image bytes passed in a request.
  size_t max_bytes = 5 * 1024 * 1024;
  // Either side below this: kInvalidArgument (Rekognition's
  // InvalidParameterException; its minimum is 80 pixels). Checked on the
  // decoded image.
  int min_side = 80;
  // Either side above this: kImageTooLarge. Checked from the header.
  int max_side = 16384;
  // width*height above this: kImageTooLarge. Checked from the header, before
  // decoding, against decompression bombs. 40 Mpx is 120 MB of BGR pixels.
  int64_t max_pixels = 40'000'000;
};

// A decoded image, upright.
struct DecodedImage {
  // CV_8UC3 BGR, EXIF orientation already applied. Grey, 16-bit, alpha
  // (dropped, not composited), palette and CMYK inputs are all converted.
  cv::Mat bgr;
  ImageFormat format = ImageFormat::kJpeg;
  // Rekognition's OrientationCorrection: the clockwise rotation applied to
  // the stored pixels from the EXIF Orientation tag. kRotate0 when the tag is
  // absent or 1; kRotate90/180/270 for tags 6/3/8. Mirrored tags 2, 4, 5 and
  // 7 are applied too (mirror horizontally, then rotate) and are reported by
  // their rotation part: 2 -> 0, 4 -> 180, 5 -> 270, 7 -> 90.
  Orientation orientation_correction = Orientation::kRotate0;
  int stored_width = 0;  // as in the file, before orientation
  int stored_height = 0;
};

// Decodes `size` bytes at `data` in the order described at the top of this
// file. `data` is only read, and only during the call.
StatusOr<DecodedImage> DecodeImage(const uint8_t* data, size_t size,
                                   const DecodeLimits& limits = {});

// Reads and decodes a file. The file's size is checked before it is read, so
// a file above limits.max_bytes is refused without reading it. Errors:
// kNotFound when it does not exist, kInvalidArgument when it is a directory
// or not a regular file, kIOError when it cannot be read, then as
// DecodeImage; messages start with the path.
StatusOr<DecodedImage> DecodeImageFile(const std::string& path, const DecodeLimits& limits = {});

// The rotation part of EXIF orientation `exif_orientation` (1..8; anything
// else is treated as 1), as described at DecodedImage::orientation_correction.
Orientation ExifRotation(int exif_orientation);

// Applies EXIF orientation `exif_orientation` (1..8; anything else is treated
// as 1) to `image` and returns ExifRotation(exif_orientation).
Orientation ApplyExifOrientation(int exif_orientation, cv::Mat& image);

}  // namespace candor::image

#endif  // CANDOR_IMAGE_IMAGE_DECODER_H_
