// Image header sniffing: the format, the stored dimensions and the EXIF
// orientation of an encoded image, read from its bytes without decoding any
// pixels.
//
// The decoder (image_decoder.h) checks these dimensions against its limits
// *before* it hands the bytes to OpenCV, so that a small file declaring a huge
// image (a decompression bomb) is refused without allocating anything.
//
// Every parser here treats its input as hostile: each read is bounds-checked
// against the buffer, every loop advances and is bounded by the buffer size or
// a 16-bit count, and chains of offsets (TIFF next-IFD links) are never
// followed, so no input can make a parser loop, read out of range or overflow.
//
// Thread safety: all functions are pure; they may be called concurrently.
#ifndef CANDOR_IMAGE_IMAGE_HEADER_H_
#define CANDOR_IMAGE_IMAGE_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "candor/status.h"

namespace candor::image {

// The formats Candor accepts. Rekognition itself accepts only JPEG and PNG;
// WebP, BMP and TIFF are a Candor extension. Bytes in any other format
// (GIF, HEIC, OpenEXR, JPEG 2000, PNM...) are refused by ReadImageHeader and
// so never reach OpenCV's other codecs.
enum class ImageFormat { kJpeg, kPng, kWebp, kBmp, kTiff };

// "JPEG", "PNG", "WebP", "BMP" or "TIFF".
std::string_view ImageFormatName(ImageFormat format);

struct ImageHeader {
  ImageFormat format = ImageFormat::kJpeg;
  int width = 0;   // stored width in pixels, before orientation; > 0
  int height = 0;  // stored height in pixels, before orientation; > 0
  // The EXIF Orientation tag (TIFF tag 274), 1..8; 1 (upright) when absent
  // or invalid. Read from JPEG APP1 "Exif" segments and from TIFF IFD0. PNG
  // eXIf chunks and WebP EXIF chunks are ignored, as Rekognition applies
  // orientation correction to JPEG only.
  int exif_orientation = 1;
};

// Reads the format, stored dimensions and EXIF orientation.
//
// Where the dimensions come from:
//   JPEG: the first SOF0..SOF15 frame header (not DHT C4, JPG C8, DAC CC),
//         walking marker segments from SOI; the orientation from the first
//         APP1 segment that starts with "Exif\0\0" and precedes the frame.
//   PNG:  the IHDR chunk, which must be first.
//   WebP: the first chunk after "RIFF....WEBP": "VP8 " (lossy key frame),
//         "VP8L" (lossless) or "VP8X" (extended; canvas size).
//   BMP:  BITMAPCOREHEADER or BITMAPINFOHEADER and its successors; a
//         negative height (top-down rows) is reported as its magnitude.
//   TIFF: IFD0 tags ImageWidth (256) and ImageLength (257), SHORT or LONG,
//         and Orientation (274). IFD0 may sit anywhere in a TIFF file
//         (libtiff writes it last), so TIFF needs the whole buffer.
// Errors: kInvalidImageFormat naming what is wrong (unknown magic, a
// truncated header, zero or out-of-range dimensions, an unsupported variant).
StatusOr<ImageHeader> ReadImageHeader(const uint8_t* data, size_t size);

// Reads the Orientation tag (274) from IFD0 of the TIFF structure at
// tiff[0..size), as found after "Exif\0\0" in a JPEG APP1 segment. Both byte
// orders. Returns 1 when the structure is malformed, the tag is absent, or
// its value is not a SHORT/LONG in 1..8: a broken EXIF block must not make
// an otherwise good image undecodable.
int ReadExifOrientation(const uint8_t* tiff, size_t size);

// Checks that an encoded stream is not cut short, for the formats whose
// decoders do not reliably say so themselves:
//   JPEG: libjpeg decodes a truncated file with only a warning and fills the
//         missing rows with grey, so an end-of-image marker (FF D9) must
//         follow the start of the first scan. Only the region after the
//         first SOS is searched: an EXIF thumbnail before the frame has its
//         own FF D9. Data after EOI (camera trailers, Motion Photo videos) is
//         allowed, which is why we do not require FF D9 to be the last bytes.
//   PNG:  the chunk sequence must reach an IEND chunk within the buffer.
//   WebP: the buffer must hold the whole RIFF payload it declares.
//   BMP:  uncompressed (BI_RGB/BI_BITFIELDS) pixel rows must all be present.
//   TIFF: left to libtiff, which fails on strips past the end of the data.
// Returns kInvalidImageFormat saying what is missing, or OK.
Status CheckStreamComplete(ImageFormat format, const uint8_t* data, size_t size);

}  // namespace candor::image

#endif  // CANDOR_IMAGE_IMAGE_HEADER_H_
