#include "image/image_header.h"

#include <climits>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

namespace candor::image {
namespace {

// ---------------------------------------------------------------------------
// Bounds-checked byte access. Callers check Has() before every Load*().

// True when [offset, offset + n) lies inside a buffer of `size` bytes, written
// so that it cannot overflow whatever offset and n are.
bool Has(size_t size, size_t offset, size_t n) { return offset <= size && n <= size - offset; }

uint16_t LoadU16(const uint8_t* p, bool big_endian) {
  return big_endian ? static_cast<uint16_t>(p[0] << 8 | p[1])
                    : static_cast<uint16_t>(p[1] << 8 | p[0]);
}

uint32_t LoadU32(const uint8_t* p, bool big_endian) {
  const uint32_t b0 = p[0], b1 = p[1], b2 = p[2], b3 = p[3];
  return big_endian ? (b0 << 24 | b1 << 16 | b2 << 8 | b3) : (b3 << 24 | b2 << 16 | b1 << 8 | b0);
}

uint32_t LoadU24Le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16;
}

bool MatchesAt(const uint8_t* data, size_t size, size_t offset, std::string_view magic) {
  return Has(size, offset, magic.size()) &&
         std::memcmp(data + offset, magic.data(), magic.size()) == 0;
}

// "89 50 4E 47" for the first bytes of an unrecognised buffer.
std::string HexPrefix(const uint8_t* data, size_t size) {
  std::string out;
  for (size_t i = 0; i < size && i < 8; ++i) {
    char byte[4];
    std::snprintf(byte, sizeof(byte), i == 0 ? "%02X" : " %02X", data[i]);
    out += byte;
  }
  return out;
}

// A four-character code, with non-printable bytes escaped, for messages.
std::string FourCc(const uint8_t* p) {
  std::string out;
  for (int i = 0; i < 4; ++i) out += (p[i] >= 0x20 && p[i] < 0x7F) ? static_cast<char>(p[i]) : '?';
  return out;
}

Status Invalid(ImageFormat format, const std::string& what) {
  return Status::InvalidImageFormat(std::string(ImageFormatName(format)) + " " + what);
}

Status Truncated(ImageFormat format, const std::string& where, size_t size) {
  return Invalid(format,
                 "data is truncated: " + where + " (buffer is " + std::to_string(size) + " bytes)");
}

// Validates dimensions read from a header and builds the result.
StatusOr<ImageHeader> MakeHeader(ImageFormat format, uint64_t width, uint64_t height,
                                 int orientation) {
  if (width == 0) return Invalid(format, "header declares zero width");
  if (height == 0) return Invalid(format, "header declares zero height");
  if (width > static_cast<uint64_t>(INT_MAX) || height > static_cast<uint64_t>(INT_MAX)) {
    return Invalid(format, "header declares dimensions " + std::to_string(width) + "x" +
                               std::to_string(height) + " beyond 2^31-1");
  }
  ImageHeader header;
  header.format = format;
  header.width = static_cast<int>(width);
  header.height = static_cast<int>(height);
  header.exif_orientation = orientation;
  return header;
}

// ---------------------------------------------------------------------------
// TIFF structure (TIFF files and EXIF blocks).

// File signatures; string_view with explicit sizes, as they hold NULs.
constexpr std::string_view kTiffLittleEndian("II*\0", 4);
constexpr std::string_view kTiffBigEndian("MM\0*", 4);
constexpr std::string_view kBigTiffLittleEndian("II+\0", 4);
constexpr std::string_view kBigTiffBigEndian("MM\0+", 4);

constexpr uint16_t kTiffTagImageWidth = 256;
constexpr uint16_t kTiffTagImageLength = 257;
constexpr uint16_t kTiffTagOrientation = 274;  // 0x0112
constexpr uint16_t kTiffTypeShort = 3;
constexpr uint16_t kTiffTypeLong = 4;
constexpr size_t kTiffEntrySize = 12;

struct TiffEntry {
  uint16_t tag;
  uint16_t type;
  uint32_t count;
  const uint8_t* value_field;  // the 4-byte value-or-offset field
};

enum class IfdWalk { kComplete, kTruncated, kBadHeader };

// Visits the entries of IFD0 of the TIFF structure at tiff[0..size), in file
// order, stopping early when `visit` returns false. Only entries lying wholly
// inside the buffer are visited. The next-IFD link is never followed, so a
// hostile chain of IFDs that loops cannot make this loop; the entry count is
// 16-bit, which bounds the loop.
template <typename Visit>
IfdWalk WalkIfd0(const uint8_t* tiff, size_t size, bool* big_endian, Visit visit) {
  if (!Has(size, 0, 8)) return IfdWalk::kBadHeader;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    *big_endian = false;
  } else if (tiff[0] == 'M' && tiff[1] == 'M') {
    *big_endian = true;
  } else {
    return IfdWalk::kBadHeader;
  }
  if (LoadU16(tiff + 2, *big_endian) != 42) return IfdWalk::kBadHeader;
  const size_t ifd_offset = LoadU32(tiff + 4, *big_endian);
  if (!Has(size, ifd_offset, 2)) return IfdWalk::kTruncated;
  const uint16_t entry_count = LoadU16(tiff + ifd_offset, *big_endian);
  size_t pos = ifd_offset + 2;
  for (uint32_t i = 0; i < entry_count; ++i, pos += kTiffEntrySize) {
    if (!Has(size, pos, kTiffEntrySize)) return IfdWalk::kTruncated;
    const uint8_t* e = tiff + pos;
    const TiffEntry entry{LoadU16(e, *big_endian), LoadU16(e + 2, *big_endian),
                          LoadU32(e + 4, *big_endian), e + 8};
    if (!visit(entry)) break;
  }
  return IfdWalk::kComplete;
}

// The value of a single SHORT or LONG entry (held in the value field itself,
// left-justified for SHORT); nullopt for any other type or count.
std::optional<uint32_t> ScalarValue(const TiffEntry& entry, bool big_endian) {
  if (entry.count != 1) return std::nullopt;
  if (entry.type == kTiffTypeShort) return LoadU16(entry.value_field, big_endian);
  if (entry.type == kTiffTypeLong) return LoadU32(entry.value_field, big_endian);
  return std::nullopt;
}

// 1..8 for a valid Orientation entry, nullopt otherwise.
std::optional<int> OrientationValue(const TiffEntry& entry, bool big_endian) {
  const std::optional<uint32_t> value = ScalarValue(entry, big_endian);
  if (!value || *value < 1 || *value > 8) return std::nullopt;
  return static_cast<int>(*value);
}

StatusOr<ImageHeader> ReadTiffHeader(const uint8_t* data, size_t size) {
  if (MatchesAt(data, size, 0, kBigTiffLittleEndian) ||
      MatchesAt(data, size, 0, kBigTiffBigEndian)) {
    return Invalid(ImageFormat::kTiff, "is BigTIFF, which is not supported");
  }
  std::optional<uint32_t> width, height;
  int orientation = 1;
  bool big_endian = false;
  const IfdWalk walk = WalkIfd0(data, size, &big_endian, [&](const TiffEntry& entry) {
    if (entry.tag == kTiffTagImageWidth && !width) {
      width = ScalarValue(entry, big_endian);
      if (!width) width = 0;  // present but malformed: reported as zero
    } else if (entry.tag == kTiffTagImageLength && !height) {
      height = ScalarValue(entry, big_endian);
      if (!height) height = 0;
    } else if (entry.tag == kTiffTagOrientation) {
      orientation = OrientationValue(entry, big_endian).value_or(1);
    }
    return true;
  });
  if (walk == IfdWalk::kBadHeader) return Invalid(ImageFormat::kTiff, "header is malformed");
  if (walk == IfdWalk::kTruncated) {
    return Truncated(ImageFormat::kTiff, "IFD0 lies outside the data or is cut short", size);
  }
  if (!width) return Invalid(ImageFormat::kTiff, "IFD0 has no ImageWidth (256) tag");
  if (!height) return Invalid(ImageFormat::kTiff, "IFD0 has no ImageLength (257) tag");
  return MakeHeader(ImageFormat::kTiff, *width, *height, orientation);
}

// ---------------------------------------------------------------------------
// JPEG marker segments.

constexpr uint8_t kJpegSoi = 0xD8;
constexpr uint8_t kJpegEoi = 0xD9;
constexpr uint8_t kJpegSos = 0xDA;
constexpr uint8_t kJpegApp1 = 0xE1;
constexpr uint8_t kJpegTem = 0x01;
constexpr std::string_view kExifSignature("Exif\0\0", 6);

// SOF0..SOF15, which carry the frame size, excluding the markers in that
// range that are not frame headers: DHT (C4), JPG (C8) and DAC (CC).
bool IsStartOfFrame(uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

struct JpegSegment {
  uint8_t marker;
  size_t marker_offset;   // offset of the marker code byte (after its 0xFF)
  size_t payload_offset;  // after the 2-byte length; == end for standalone markers
  size_t payload_size;
};

std::string MarkerName(uint8_t marker) {
  char name[8];
  std::snprintf(name, sizeof(name), "FF%02X", marker);
  return name;
}

// Walks the marker segments after SOI (data must start with FF D8) in order,
// calling visit(segment) for each until it returns false, or after EOI or
// SOS (the entropy-coded data after SOS is not walked). Like libjpeg, bytes
// that are not a marker between segments are skipped, as are fill bytes
// (repeated 0xFF). Every iteration advances `pos`, so the loop is bounded by
// the buffer size. Returns an error when the data ends before the walk stops.
template <typename Visit>
Status WalkJpegSegments(const uint8_t* data, size_t size, Visit visit) {
  size_t pos = 2;
  while (true) {
    // Find the next marker: 0xFF, any fill 0xFFs, then a byte other than 0.
    uint8_t marker = 0;
    while (marker == 0) {
      while (pos < size && data[pos] != 0xFF) ++pos;  // skip garbage
      while (pos < size && data[pos] == 0xFF) ++pos;  // skip 0xFF and fill bytes
      if (pos >= size) {
        return Truncated(ImageFormat::kJpeg, "it ends before a frame header and scan", size);
      }
      marker = data[pos++];  // 0x00 is a stuffed byte, not a marker: keep looking
    }
    JpegSegment segment{marker, pos - 1, pos, 0};
    const bool standalone =
        marker == kJpegTem || (marker >= 0xD0 && marker <= 0xD7) || marker == kJpegEoi;
    if (marker == kJpegSoi) {
      return Invalid(ImageFormat::kJpeg,
                     "has a second SOI marker at offset " + std::to_string(segment.marker_offset));
    }
    if (!standalone) {
      if (!Has(size, pos, 2)) {
        return Truncated(ImageFormat::kJpeg, "segment " + MarkerName(marker) + " has no length",
                         size);
      }
      const size_t length = LoadU16(data + pos, /*big_endian=*/true);
      if (length < 2) {
        return Invalid(ImageFormat::kJpeg, "segment " + MarkerName(marker) + " at offset " +
                                               std::to_string(segment.marker_offset) +
                                               " has invalid length " + std::to_string(length));
      }
      if (!Has(size, pos, length)) {
        return Truncated(ImageFormat::kJpeg,
                         "segment " + MarkerName(marker) + " at offset " +
                             std::to_string(segment.marker_offset) + " declares " +
                             std::to_string(length) + " bytes",
                         size);
      }
      segment.payload_offset = pos + 2;
      segment.payload_size = length - 2;
      pos += length;
    }
    if (!visit(segment)) return Status::Ok();
    if (marker == kJpegEoi || marker == kJpegSos) return Status::Ok();
  }
}

StatusOr<ImageHeader> ReadJpegHeader(const uint8_t* data, size_t size) {
  int orientation = 1;
  bool exif_seen = false;
  std::optional<StatusOr<ImageHeader>> result;
  const Status walk = WalkJpegSegments(data, size, [&](const JpegSegment& segment) {
    const uint8_t* payload = data + segment.payload_offset;
    if (segment.marker == kJpegApp1 && !exif_seen &&
        MatchesAt(payload, segment.payload_size, 0, kExifSignature)) {
      exif_seen = true;
      orientation = ReadExifOrientation(payload + kExifSignature.size(),
                                        segment.payload_size - kExifSignature.size());
      return true;
    }
    if (IsStartOfFrame(segment.marker)) {
      // Frame header: precision (1), height (2), width (2), components (1).
      if (segment.payload_size < 6) {
        result = Invalid(ImageFormat::kJpeg,
                         "frame header " + MarkerName(segment.marker) + " is too short");
        return false;
      }
      const uint16_t height = LoadU16(payload + 1, /*big_endian=*/true);
      const uint16_t width = LoadU16(payload + 3, /*big_endian=*/true);
      if (height == 0) {
        // A zero height means "defined later by a DNL marker", which libjpeg
        // does not support either.
        result =
            Invalid(ImageFormat::kJpeg, "frame header declares zero height (DNL is not supported)");
      } else {
        result = MakeHeader(ImageFormat::kJpeg, width, height, orientation);
      }
      return false;
    }
    if (segment.marker == kJpegSos || segment.marker == kJpegEoi) {
      result = Invalid(
          ImageFormat::kJpeg,
          "has " +
              std::string(segment.marker == kJpegSos ? "a scan (SOS)" : "an end marker (EOI)") +
              " before any frame header (SOF)");
      return false;
    }
    return true;
  });
  if (!walk.ok()) return walk;
  if (!result) return Invalid(ImageFormat::kJpeg, "has no frame header");  // unreachable
  return *std::move(result);
}

Status CheckJpegComplete(const uint8_t* data, size_t size) {
  size_t scan_start = 0;
  CANDOR_RETURN_IF_ERROR(WalkJpegSegments(data, size, [&](const JpegSegment& segment) {
    if (segment.marker == kJpegSos) scan_start = segment.payload_offset + segment.payload_size;
    return true;
  }));
  if (scan_start == 0) return Invalid(ImageFormat::kJpeg, "has no scan (SOS) before its end");
  // Inside entropy-coded data 0xFF is always followed by 0x00 (stuffing) or a
  // restart marker, so the first FF D9 after the first scan is the EOI.
  for (size_t pos = scan_start; pos + 1 < size;) {
    const void* hit = std::memchr(data + pos, 0xFF, size - pos - 1);
    if (hit == nullptr) break;
    pos = static_cast<size_t>(static_cast<const uint8_t*>(hit) - data);
    if (data[pos + 1] == kJpegEoi) return Status::Ok();
    ++pos;
  }
  return Truncated(ImageFormat::kJpeg, "no end-of-image marker (FF D9) after the scan data", size);
}

// ---------------------------------------------------------------------------
// PNG.

constexpr std::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);
constexpr size_t kPngIhdrEnd = 33;  // signature 8 + length 4 + type 4 + data 13 + CRC 4
constexpr uint32_t kPngMaxChunkLength = 0x7FFFFFFF;  // PNG spec: lengths < 2^31

StatusOr<ImageHeader> ReadPngHeader(const uint8_t* data, size_t size) {
  if (!Has(size, 0, kPngIhdrEnd)) {
    return Truncated(ImageFormat::kPng, "the IHDR chunk needs 33 bytes", size);
  }
  if (LoadU32(data + 8, true) != 13 || !MatchesAt(data, size, 12, "IHDR")) {
    return Invalid(ImageFormat::kPng,
                   "first chunk is '" + FourCc(data + 12) + "', not a 13-byte IHDR");
  }
  const uint32_t width = LoadU32(data + 16, true);
  const uint32_t height = LoadU32(data + 20, true);
  if (width > kPngMaxChunkLength || height > kPngMaxChunkLength) {
    return Invalid(ImageFormat::kPng, "IHDR dimensions exceed 2^31-1");
  }
  return MakeHeader(ImageFormat::kPng, width, height, 1);
}

Status CheckPngComplete(const uint8_t* data, size_t size) {
  // Each chunk: length (4), type (4), data (length), CRC (4). Every step
  // advances by at least 12 bytes, so the walk is bounded by the size.
  size_t pos = kPngSignature.size();
  while (true) {
    if (!Has(size, pos, 12)) return Truncated(ImageFormat::kPng, "it ends before IEND", size);
    const uint32_t length = LoadU32(data + pos, true);
    if (length > kPngMaxChunkLength) {
      return Invalid(ImageFormat::kPng,
                     "chunk at offset " + std::to_string(pos) + " declares an invalid length");
    }
    const std::string type = FourCc(data + pos + 4);
    if (!Has(size, pos, size_t{12} + length)) {
      return Truncated(ImageFormat::kPng, "it ends inside chunk '" + type + "'", size);
    }
    if (type == "IEND") return Status::Ok();
    pos += size_t{12} + length;
  }
}

// ---------------------------------------------------------------------------
// WebP (RIFF container).

constexpr size_t kWebpChunkPayload = 20;  // "RIFF" size "WEBP" fourcc size

StatusOr<ImageHeader> ReadWebpHeader(const uint8_t* data, size_t size) {
  if (!Has(size, 0, kWebpChunkPayload)) {
    return Truncated(ImageFormat::kWebp, "the first chunk header needs 20 bytes", size);
  }
  const uint8_t* payload = data + kWebpChunkPayload;
  const size_t available = size - kWebpChunkPayload;
  if (MatchesAt(data, size, 12, "VP8 ")) {
    // Lossy: 3-byte frame tag, start code 9D 01 2A, 14-bit width and height.
    if (available < 10) return Truncated(ImageFormat::kWebp, "VP8 frame header is cut", size);
    if ((payload[0] & 1) != 0) return Invalid(ImageFormat::kWebp, "VP8 frame is not a key frame");
    if (payload[3] != 0x9D || payload[4] != 0x01 || payload[5] != 0x2A) {
      return Invalid(ImageFormat::kWebp, "VP8 frame has no start code");
    }
    return MakeHeader(ImageFormat::kWebp, LoadU16(payload + 6, false) & 0x3FFF,
                      LoadU16(payload + 8, false) & 0x3FFF, 1);
  }
  if (MatchesAt(data, size, 12, "VP8L")) {
    // Lossless: signature 0x2F, then 14 bits width-1 and 14 bits height-1.
    if (available < 5) return Truncated(ImageFormat::kWebp, "VP8L header is cut", size);
    if (payload[0] != 0x2F) return Invalid(ImageFormat::kWebp, "VP8L signature is wrong");
    const uint32_t bits = LoadU32(payload + 1, false);
    return MakeHeader(ImageFormat::kWebp, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, 1);
  }
  if (MatchesAt(data, size, 12, "VP8X")) {
    // Extended: flags (1), reserved (3), canvas width-1 and height-1 (24-bit).
    // Its EXIF chunk, if any, is ignored (see ImageHeader::exif_orientation).
    if (available < 10) return Truncated(ImageFormat::kWebp, "VP8X header is cut", size);
    return MakeHeader(ImageFormat::kWebp, uint64_t{LoadU24Le(payload + 4)} + 1,
                      uint64_t{LoadU24Le(payload + 7)} + 1, 1);
  }
  return Invalid(ImageFormat::kWebp,
                 "first chunk '" + FourCc(data + 12) + "' is not VP8, VP8L or VP8X");
}

Status CheckWebpComplete(const uint8_t* data, size_t size) {
  if (!Has(size, 0, 8)) return Truncated(ImageFormat::kWebp, "RIFF header is cut", size);
  const uint64_t riff_end = uint64_t{LoadU32(data + 4, false)} + 8;
  if (riff_end > size) {
    return Truncated(ImageFormat::kWebp, "RIFF declares " + std::to_string(riff_end) + " bytes",
                     size);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// BMP.

constexpr size_t kBmpInfoOffset = 14;  // after BITMAPFILEHEADER
constexpr uint32_t kBmpCoreHeaderSize = 12;
constexpr uint32_t kBmpInfoHeaderSize = 40;
constexpr uint32_t kBmpRgb = 0;
constexpr uint32_t kBmpBitfields = 3;

StatusOr<ImageHeader> ReadBmpHeader(const uint8_t* data, size_t size) {
  if (!Has(size, 0, 26)) return Truncated(ImageFormat::kBmp, "the header needs 26 bytes", size);
  const uint32_t info_size = LoadU32(data + kBmpInfoOffset, false);
  if (info_size == kBmpCoreHeaderSize) {
    return MakeHeader(ImageFormat::kBmp, LoadU16(data + 18, false), LoadU16(data + 20, false), 1);
  }
  if (info_size < kBmpInfoHeaderSize) {
    return Invalid(ImageFormat::kBmp,
                   "info header size " + std::to_string(info_size) + " is not supported");
  }
  const auto width = static_cast<int32_t>(LoadU32(data + 18, false));
  const auto height = static_cast<int32_t>(LoadU32(data + 22, false));
  if (width < 0) return Invalid(ImageFormat::kBmp, "header declares a negative width");
  if (height == INT32_MIN) return Invalid(ImageFormat::kBmp, "header declares an invalid height");
  // A negative height means rows stored top-down.
  const uint32_t rows = static_cast<uint32_t>(height < 0 ? -height : height);
  return MakeHeader(ImageFormat::kBmp, static_cast<uint32_t>(width), rows, 1);
}

Status CheckBmpComplete(const uint8_t* data, size_t size) {
  // ReadBmpHeader has validated the first 26 bytes and the dimensions.
  if (!Has(size, 0, 26)) return Truncated(ImageFormat::kBmp, "the header is cut", size);
  const uint32_t info_size = LoadU32(data + kBmpInfoOffset, false);
  if (!Has(size, kBmpInfoOffset, info_size)) {
    return Truncated(ImageFormat::kBmp, "the info header is cut", size);
  }
  if (info_size != kBmpCoreHeaderSize && info_size < kBmpInfoHeaderSize) {
    return Status::Ok();  // an unknown header, which ReadBmpHeader refuses
  }
  uint64_t width = 0, rows = 0, bits_per_pixel = 0;
  if (info_size == kBmpCoreHeaderSize) {
    width = LoadU16(data + 18, false);
    rows = LoadU16(data + 20, false);
    bits_per_pixel = LoadU16(data + 24, false);
  } else {
    const uint32_t compression = LoadU32(data + 30, false);
    if (compression != kBmpRgb && compression != kBmpBitfields) return Status::Ok();  // RLE etc.
    const auto height = static_cast<int32_t>(LoadU32(data + 22, false));
    width = LoadU32(data + 18, false);
    rows = static_cast<uint64_t>(height < 0 ? -int64_t{height} : int64_t{height});
    bits_per_pixel = LoadU16(data + 28, false);
  }
  const uint64_t pixel_offset = LoadU32(data + 10, false);
  // Rows are padded to 4 bytes. width < 2^31 and bits_per_pixel < 2^16, so
  // row_bytes < 2^45; the product with rows is checked before it is formed.
  const uint64_t row_bytes = (width * bits_per_pixel + 31) / 32 * 4;
  if (row_bytes != 0 && rows > (UINT64_MAX - pixel_offset) / row_bytes) {
    return Truncated(ImageFormat::kBmp, "its pixel array is larger than any buffer", size);
  }
  const uint64_t needed = pixel_offset + rows * row_bytes;
  if (needed > size) {
    return Truncated(ImageFormat::kBmp, "the pixel rows need " + std::to_string(needed) + " bytes",
                     size);
  }
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------------------
// Public functions.

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kTiff:
      return "TIFF";
  }
  return "unknown";
}

int ReadExifOrientation(const uint8_t* tiff, size_t size) {
  if (tiff == nullptr) return 1;
  int orientation = 1;
  bool big_endian = false;
  // A truncated or malformed IFD keeps whatever was found before the damage.
  (void)WalkIfd0(tiff, size, &big_endian, [&](const TiffEntry& entry) {
    if (entry.tag != kTiffTagOrientation) return true;
    orientation = OrientationValue(entry, big_endian).value_or(1);
    return false;
  });
  return orientation;
}

StatusOr<ImageHeader> ReadImageHeader(const uint8_t* data, size_t size) {
  if (data == nullptr || size == 0) {
    return Status::InvalidImageFormat("image is empty (0 bytes)");
  }
  if (MatchesAt(data, size, 0, "\xFF\xD8\xFF")) return ReadJpegHeader(data, size);
  if (MatchesAt(data, size, 0, kPngSignature)) return ReadPngHeader(data, size);
  if (MatchesAt(data, size, 0, "RIFF") && MatchesAt(data, size, 8, "WEBP")) {
    return ReadWebpHeader(data, size);
  }
  if (MatchesAt(data, size, 0, "BM")) return ReadBmpHeader(data, size);
  if (MatchesAt(data, size, 0, kTiffLittleEndian) || MatchesAt(data, size, 0, kTiffBigEndian) ||
      MatchesAt(data, size, 0, kBigTiffLittleEndian) ||
      MatchesAt(data, size, 0, kBigTiffBigEndian)) {
    return ReadTiffHeader(data, size);
  }
  // Name the formats people most often send by mistake.
  if (MatchesAt(data, size, 0, "GIF87a") || MatchesAt(data, size, 0, "GIF89a")) {
    return Status::InvalidImageFormat(
        "GIF images are not supported (supported: JPEG, PNG, WebP, BMP, TIFF)");
  }
  if (MatchesAt(data, size, 4, "ftyp")) {
    return Status::InvalidImageFormat(
        "HEIF/AVIF images are not supported (supported: JPEG, PNG, WebP, BMP, TIFF)");
  }
  return Status::InvalidImageFormat("unrecognised image format: " + std::to_string(size) +
                                    " bytes starting " + HexPrefix(data, size) +
                                    " match no JPEG, PNG, WebP, BMP or TIFF signature");
}

Status CheckStreamComplete(ImageFormat format, const uint8_t* data, size_t size) {
  if (data == nullptr) return Status::InvalidImageFormat("image is empty (0 bytes)");
  switch (format) {
    case ImageFormat::kJpeg:
      return CheckJpegComplete(data, size);
    case ImageFormat::kPng:
      return CheckPngComplete(data, size);
    case ImageFormat::kWebp:
      return CheckWebpComplete(data, size);
    case ImageFormat::kBmp:
      return CheckBmpComplete(data, size);
    case ImageFormat::kTiff:
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace candor::image
