#include "image/image_decoder.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <new>
#include <opencv2/imgcodecs.hpp>
#include <system_error>
#include <vector>

namespace candor::image {
namespace {

std::string Dimensions(int64_t width, int64_t height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

Status CheckLimits(const DecodeLimits& limits) {
  if (limits.min_side < 0 || limits.max_side < 1 || limits.max_pixels < 1 ||
      limits.min_side > limits.max_side) {
    return Status::InvalidArgument(
        "invalid DecodeLimits: min_side " + std::to_string(limits.min_side) + ", max_side " +
        std::to_string(limits.max_side) + ", max_pixels " + std::to_string(limits.max_pixels));
  }
  return Status::Ok();
}

Status CheckHeaderAgainstLimits(const ImageHeader& header, const DecodeLimits& limits) {
  const std::string format(ImageFormatName(header.format));
  if (header.width > limits.max_side || header.height > limits.max_side) {
    return Status::ImageTooLarge(format + " image is " + Dimensions(header.width, header.height) +
                                 "; the maximum side is " + std::to_string(limits.max_side) +
                                 " pixels");
  }
  const int64_t pixels = int64_t{header.width} * header.height;
  if (pixels > limits.max_pixels) {
    return Status::ImageTooLarge(format + " image is " + Dimensions(header.width, header.height) +
                                 " = " + std::to_string(pixels) + " pixels; the maximum is " +
                                 std::to_string(limits.max_pixels));
  }
  return Status::Ok();
}

// cv::imdecode behind a Status: OpenCV reports failure either by throwing or
// by returning an empty matrix, and can throw std::bad_alloc.
StatusOr<cv::Mat> DecodeWithOpenCv(const uint8_t* data, size_t size, ImageFormat format) {
  const std::string name(ImageFormatName(format));
  if (size > static_cast<size_t>(INT_MAX)) {
    return Status::ImageTooLarge(name + " data is above 2 GiB");
  }
  // A header for the caller's bytes, not a copy; imdecode only reads it.
  const cv::Mat encoded(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
  cv::Mat decoded;
  try {
    decoded = cv::imdecode(encoded, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  } catch (const cv::Exception& e) {
    return Status::InvalidImageFormat(name + " data could not be decoded: " + e.err);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory decoding " + name + " image");
  } catch (const std::exception& e) {
    return Status::InvalidImageFormat(name + " data could not be decoded: " + e.what());
  } catch (...) {
    return Status::Internal("unknown exception decoding " + name + " image");
  }
  if (decoded.empty()) {
    return Status::InvalidImageFormat(name + " data is corrupt or truncated: the decoder failed");
  }
  if (decoded.type() != CV_8UC3) {  // IMREAD_COLOR promises 8-bit BGR
    return Status::Internal(name + " decoder returned type " + std::to_string(decoded.type()) +
                            ", not CV_8UC3");
  }
  return decoded;
}

}  // namespace

Orientation ExifRotation(int exif_orientation) {
  // Each tag is "mirror horizontally (for 2, 4, 5, 7), then rotate clockwise".
  switch (exif_orientation) {
    case 3:  // rotate 180
    case 4:  // mirror vertically = mirror + rotate 180
      return Orientation::kRotate180;
    case 6:  // rotate 90
    case 7:  // transverse = mirror + rotate 90
      return Orientation::kRotate90;
    case 5:  // transpose = mirror + rotate 270
    case 8:  // rotate 270
      return Orientation::kRotate270;
    default:  // 1, 2 (mirror only) or invalid
      return Orientation::kRotate0;
  }
}

Orientation ApplyExifOrientation(int exif_orientation, cv::Mat& image) {
  // EXIF 2.32, tag 274: the row and column order of the stored pixels.
  cv::Mat out;
  switch (exif_orientation) {
    case 2:
      cv::flip(image, out, 1);
      break;
    case 3:
      cv::rotate(image, out, cv::ROTATE_180);
      break;
    case 4:
      cv::flip(image, out, 0);
      break;
    case 5:
      cv::transpose(image, out);
      break;
    case 6:
      cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7:
      cv::transpose(image, out);
      cv::flip(out, out, -1);
      break;
    case 8:
      cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:  // 1 or invalid: nothing to do
      return Orientation::kRotate0;
  }
  image = out;
  return ExifRotation(exif_orientation);
}

StatusOr<DecodedImage> DecodeImage(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  if (data == nullptr || size == 0) return Status::InvalidArgument("image is empty (0 bytes)");
  CANDOR_RETURN_IF_ERROR(CheckLimits(limits));
  if (size > limits.max_bytes) {
    return Status::ImageTooLarge("image is " + std::to_string(size) + " bytes; the maximum is " +
                                 std::to_string(limits.max_bytes));
  }
  CANDOR_ASSIGN_OR_RETURN(const ImageHeader header, ReadImageHeader(data, size));
  CANDOR_RETURN_IF_ERROR(CheckHeaderAgainstLimits(header, limits));
  CANDOR_RETURN_IF_ERROR(CheckStreamComplete(header.format, data, size));
  CANDOR_ASSIGN_OR_RETURN(cv::Mat pixels, DecodeWithOpenCv(data, size, header.format));

  // OpenCV's TIFF decoder applies the Orientation tag itself, even with
  // IMREAD_IGNORE_ORIENTATION (grfmt_tiff.cpp, fixOrientation); for TIFF we
  // only report the rotation. For the other formats we apply it below.
  const bool decoder_orients = header.format == ImageFormat::kTiff;
  const bool decoder_swapped = decoder_orients && header.exif_orientation >= 5;
  const int expected_cols = decoder_swapped ? header.height : header.width;
  const int expected_rows = decoder_swapped ? header.width : header.height;
  // The limits were checked on the header's dimensions, so the decoder must
  // agree with them; a disagreement means the header was misread or forged.
  if (pixels.cols != expected_cols || pixels.rows != expected_rows) {
    return Status::InvalidImageFormat(
        std::string(ImageFormatName(header.format)) + " header declares " +
        Dimensions(expected_cols, expected_rows) + " but the data decodes to " +
        Dimensions(pixels.cols, pixels.rows));
  }

  DecodedImage result;
  result.format = header.format;
  result.stored_width = header.width;
  result.stored_height = header.height;
  result.orientation_correction = decoder_orients
                                      ? ExifRotation(header.exif_orientation)
                                      : ApplyExifOrientation(header.exif_orientation, pixels);
  result.bgr = std::move(pixels);
  if (result.bgr.cols < limits.min_side || result.bgr.rows < limits.min_side) {
    return Status::InvalidArgument("image is " + Dimensions(result.bgr.cols, result.bgr.rows) +
                                   "; the minimum side is " + std::to_string(limits.min_side) +
                                   " pixels");
  }
  return result;
}

StatusOr<DecodedImage> DecodeImageFile(const std::string& path, const DecodeLimits& limits) {
  namespace fs = std::filesystem;
  const std::string where = "'" + path + "': ";
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found) {
    return Status::NotFound(where + "no such file");
  }
  if (error) return Status::IOError(where + error.message());
  if (status.type() == fs::file_type::directory) {
    return Status::InvalidArgument(where + "is a directory, not an image file");
  }
  if (status.type() != fs::file_type::regular) {
    return Status::InvalidArgument(where + "is not a regular file");
  }
  const uintmax_t file_size = fs::file_size(path, error);
  if (error) return Status::IOError(where + error.message());
  if (file_size > limits.max_bytes) {
    return Status::ImageTooLarge(where + "file is " + std::to_string(file_size) +
                                 " bytes; the maximum is " + std::to_string(limits.max_bytes));
  }

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (file == nullptr) {
    const int open_errno = errno;
    const std::string reason = std::generic_category().message(open_errno);
    if (open_errno == ENOENT) return Status::NotFound(where + reason);
    return Status::IOError(where + "cannot open: " + reason);
  }
  // The file may have changed since it was measured: read to its end, but
  // never more than one byte beyond the limit.
  const size_t read_limit = limits.max_bytes == SIZE_MAX ? SIZE_MAX : limits.max_bytes + 1;
  size_t chunk = static_cast<size_t>(file_size) + 1;  // usually one read, then end of file
  std::vector<uint8_t> bytes;
  size_t length = 0;
  while (length < read_limit) {
    const size_t want = std::min(chunk, read_limit - length);
    bytes.resize(length + want);
    const size_t n = std::fread(bytes.data() + length, 1, want, file.get());
    length += n;
    if (n < want) break;  // end of file, or an error reported below
    chunk = std::max<size_t>(chunk, 64 * 1024);
  }
  if (std::ferror(file.get())) {
    return Status::IOError(where + "read failed: " + std::generic_category().message(errno));
  }
  if (length > limits.max_bytes) {
    return Status::ImageTooLarge(where + "file grew above " + std::to_string(limits.max_bytes) +
                                 " bytes while being read");
  }
  StatusOr<DecodedImage> decoded = DecodeImage(bytes.data(), length, limits);
  if (!decoded.ok()) return Status(decoded.status().code(), where + decoded.status().message());
  return decoded;
}

}  // namespace candor::image
