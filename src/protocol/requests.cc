#include "protocol/requests.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

namespace candor::protocol {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// --- Base64 ---

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// kDecodeTable[k][c]: the 6 bits of character c, shifted to their place as
// the k-th character of a group (bits 23..0 of the group's 3 bytes). A byte
// outside the alphabet sets bit 31, so OR-ing the four lookups of a group
// gives its bytes and, in one test, whether any character was bad.
constexpr uint32_t kNotBase64 = 0x80000000u;
using DecodeTable = std::array<std::array<uint32_t, 256>, 4>;
constexpr DecodeTable MakeDecodeTable() {
  DecodeTable table{};
  for (auto& row : table) {
    for (auto& v : row) v = kNotBase64;
  }
  for (uint32_t i = 0; i < 64; ++i) {
    const auto c = static_cast<uint8_t>(kBase64Alphabet[i]);
    for (int k = 0; k < 4; ++k) table[k][c] = i << (18 - 6 * k);
  }
  return table;
}
constexpr DecodeTable kDecodeTable = MakeDecodeTable();

Status NotBase64(const std::string& why) {
  return Status::InvalidArgument("not valid base64: " + why);
}

// The number of '=' at the end of `text` (0, 1 or 2), or an error when the
// padding is malformed. `text` is non-empty and a multiple of 4 long.
StatusOr<size_t> Base64Padding(std::string_view text) {
  const size_t n = text.size();
  size_t padding = 0;
  if (text[n - 1] == '=') padding = text[n - 2] == '=' ? 2 : 1;
  // A '=' anywhere else is outside the alphabet and caught while decoding.
  if (padding == 2 && text[n - 3] == '=') return NotBase64("more than two '=' at the end");
  return padding;
}

// Decoded size of `text`, checking length and padding only.
StatusOr<size_t> DecodedBase64Size(std::string_view text) {
  if (text.size() % 4 != 0) {
    return NotBase64("length " + std::to_string(text.size()) + " is not a multiple of 4");
  }
  if (text.empty()) return size_t{0};
  CANDOR_ASSIGN_OR_RETURN(const size_t padding, Base64Padding(text));
  return text.size() / 4 * 3 - padding;
}

// --- Members ---

// body[name], or nullptr when absent or null.
const json* Member(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

Status CheckObject(const json& body) {
  if (!body.is_object()) return Status::Serialization("the request body must be a JSON object");
  return Status::Ok();
}

Status Required(const std::string& name) { return Status::InvalidArgument(name + " is required"); }

// A string member; `*out` is left alone when it is absent.
Status OptionalString(const json& body, const char* name, std::string* out,
                      bool* present = nullptr) {
  const json* v = Member(body, name);
  if (present != nullptr) *present = v != nullptr;
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return Status::Serialization(std::string(name) + " must be a string");
  *out = v->get<std::string>();
  return Status::Ok();
}

Status RequiredString(const json& body, const char* name, std::string* out) {
  bool present = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, name, out, &present));
  if (!present) return Required(name);
  return Status::Ok();
}

Status RequiredCollectionId(const json& body, std::string* out) {
  CANDOR_RETURN_IF_ERROR(RequiredString(body, "CollectionId", out));
  return ValidateCollectionId(*out);
}

Status RequiredUserId(const json& body, std::string* out) {
  CANDOR_RETURN_IF_ERROR(RequiredString(body, "UserId", out));
  return ValidateUserId(*out);
}

Status OptionalClientRequestToken(const json& body, std::string* out) {
  bool present = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "ClientRequestToken", out, &present));
  if (present && out->empty()) {
    return Status::InvalidArgument(
        "ClientRequestToken must be 1 to 64 characters of [a-zA-Z0-9-_]");
  }
  return ValidateClientRequestToken(*out);
}

// A number as the message shows it (dump() would show NaN as "null").
std::string NumberText(const json& v) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  }
  return v.dump();
}

// A percent (SimilarityThreshold, FaceMatchThreshold, UserMatchThreshold) in
// [0, 100]; `*out` is left alone when it is absent.
Status OptionalPercent(const json& body, const char* name, float* out) {
  const json* v = Member(body, name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number()) return Status::Serialization(std::string(name) + " must be a number");
  const double d = v->get<double>();
  // The comparison is false for NaN; the range check comes before the
  // narrowing to float, which would overflow for 1e308.
  if (!(d >= 0.0 && d <= 100.0)) {
    return Status::InvalidArgument(std::string(name) + " must be between 0 and 100, got " +
                                   NumberText(*v));
  }
  *out = static_cast<float>(d);
  return Status::Ok();
}

Status OptionalQualityFilter(const json& body, QualityFilter* out) {
  std::string name;
  bool present = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "QualityFilter", &name, &present));
  if (!present) return Status::Ok();
  CANDOR_ASSIGN_OR_RETURN(*out, ParseQualityFilter(name));
  return Status::Ok();
}

// Rekognition's Attribute values besides DEFAULT and ALL, with what each
// asks of Candor's networks; kDefault for those no network here produces
// (AttributesNotProduced names them).
constexpr std::pair<std::string_view, AttributeSet> kAttributeNames[] = {
    {"AGE_RANGE", AttributeSet::kAgeRange},  {"BEARD", AttributeSet::kDefault},
    {"EMOTIONS", AttributeSet::kEmotions},   {"EYE_DIRECTION", AttributeSet::kDefault},
    {"EYEGLASSES", AttributeSet::kDefault},  {"EYES_OPEN", AttributeSet::kEyesOpen},
    {"GENDER", AttributeSet::kGender},       {"MOUTH_OPEN", AttributeSet::kMouthOpen},
    {"MUSTACHE", AttributeSet::kDefault},    {"FACE_OCCLUDED", AttributeSet::kDefault},
    {"SMILE", AttributeSet::kSmile},         {"SUNGLASSES", AttributeSet::kDefault},
};

// Attributes (DetectFaces) or DetectionAttributes (IndexFaces): DEFAULT's
// members always, ALL's or each named one's besides.
Status OptionalAttributes(const json& body, const char* name, AttributeSet* out) {
  const json* v = Member(body, name);
  if (v == nullptr) return Status::Ok();
  const std::string list_error = std::string(name) + " must be a list of strings";
  if (!v->is_array()) return Status::Serialization(list_error);
  for (const json& item : *v) {
    if (!item.is_string()) return Status::Serialization(list_error);
  }
  AttributeSet attributes = AttributeSet::kDefault;
  for (const json& item : *v) {
    const std::string& value = item.get_ref<const std::string&>();
    if (value == "DEFAULT") continue;
    if (value == "ALL") {
      attributes = AttributeSet::kAll;
      continue;
    }
    const auto* known = std::find_if(std::begin(kAttributeNames), std::end(kAttributeNames),
                                     [&](const auto& a) { return a.first == value; });
    if (known == std::end(kAttributeNames)) {
      return Status::InvalidArgument(std::string(name) + " holds '" + value.substr(0, 64) +
                                     "'; expected DEFAULT, ALL or an attribute name such as "
                                     "AGE_RANGE or EMOTIONS");
    }
    attributes = attributes | known->second;
  }
  *out = attributes;
  return Status::Ok();
}

// A list of FaceIds, [min, max] of them, each a valid FaceId.
Status RequiredFaceIds(const json& body, size_t min, size_t max, std::vector<std::string>* out) {
  const json* v = Member(body, "FaceIds");
  if (v == nullptr) return Required("FaceIds");
  if (!v->is_array()) return Status::Serialization("FaceIds must be a list of strings");
  for (const json& item : *v) {
    if (!item.is_string()) return Status::Serialization("FaceIds must be a list of strings");
  }
  if (v->size() < min || v->size() > max) {
    return Status::InvalidArgument("FaceIds must hold between " + std::to_string(min) + " and " +
                                   std::to_string(max) + " face ids, got " +
                                   std::to_string(v->size()));
  }
  out->clear();
  out->reserve(v->size());
  for (const json& item : *v) {
    out->push_back(item.get<std::string>());
    CANDOR_RETURN_IF_ERROR(ValidateFaceId(out->back()));
  }
  return Status::Ok();
}

// --- S3Object ---

// S3's bucket naming rule, restricted to what is safe as one directory name:
// 3 to 63 of [a-z0-9.-], beginning and ending with a letter or digit.
bool ValidBucket(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (char c : bucket) {
    if (!alnum(c) && c != '.' && c != '-') return false;
  }
  return alnum(bucket.front()) && alnum(bucket.back());
}

// Whether `path` lies strictly inside `dir` (both lexically normal).
bool IsInside(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    // A trailing separator of `dir` shows as an empty last element.
    if (d->empty() && std::next(d) == dir.end()) break;
    if (p == path.end() || *p != *d) return false;
  }
  return p != path.end() && !p->empty();
}

}  // namespace

StatusOr<std::string> ResolveS3Object(const json& s3, const std::string& prefix,
                                      const RequestOptions& options) {
  if (!s3.is_object()) return Status::Serialization(prefix + " must be an object");
  std::string bucket, name, version;
  bool has_bucket = false, has_name = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(s3, "Bucket", &bucket, &has_bucket));
  CANDOR_RETURN_IF_ERROR(OptionalString(s3, "Name", &name, &has_name));
  // Version is accepted and ignored: the object root keeps one version.
  CANDOR_RETURN_IF_ERROR(OptionalString(s3, "Version", &version));
  if (!has_bucket) return Required(prefix + ".Bucket");
  if (!has_name) return Required(prefix + ".Name");
  if (!ValidBucket(bucket)) {
    return Status::InvalidArgument(prefix +
                                   ".Bucket must be 3 to 63 characters of [a-z0-9.-], beginning "
                                   "and ending with a letter or digit");
  }
  if (name.empty() || name.size() > 1024 || name.find('\0') != std::string::npos) {
    return Status::InvalidArgument(prefix + ".Name must be 1 to 1024 bytes without NUL");
  }
  const std::string shown = bucket + "/" + name.substr(0, 200);
  const auto unreadable = [&shown](const std::string& why) {
    return Status::InvalidS3Object("S3 object " + shown + " cannot be read: " + why);
  };
  if (options.s3_root.empty()) {
    return Status::InvalidS3Object(
        "S3Object images and videos are not enabled on this server (no object root)");
  }
  if (name.front() == '/') return unreadable("its Name is an absolute path");

  std::error_code ec;
  const fs::path bucket_dir = fs::weakly_canonical(fs::path(options.s3_root) / bucket, ec);
  if (ec) return unreadable("the bucket cannot be resolved");
  // weakly_canonical resolves "..", "." and every symbolic link that exists,
  // so a Name escaping the bucket by either shows here.
  const fs::path path = fs::weakly_canonical(bucket_dir / fs::path(name), ec);
  if (ec) return unreadable("it cannot be resolved");
  if (!IsInside(path, bucket_dir)) return unreadable("its Name leads outside the bucket");
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return unreadable("it does not exist");
  if (!fs::is_regular_file(status)) return unreadable("it is not a file");
  return path.string();
}

namespace {

StatusOr<std::string> ReadS3Object(const json& s3, const std::string& member,
                                   const RequestOptions& options) {
  const std::string prefix = member + ".S3Object";
  CANDOR_ASSIGN_OR_RETURN(const std::string resolved, ResolveS3Object(s3, prefix, options));
  const fs::path path(resolved);
  const auto unreadable = [&prefix](const std::string& why) {
    return Status::InvalidS3Object(prefix + " cannot be read: " + why);
  };
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return unreadable("its size cannot be read");
  const auto too_large = [&](uintmax_t bytes) {
    return Status::ImageTooLarge(prefix + " is " + std::to_string(bytes) + " bytes; the limit is " +
                                 std::to_string(options.max_image_bytes));
  };
  if (size > options.max_image_bytes) return too_large(size);

  std::ifstream in(path, std::ios::binary);
  if (!in) return unreadable("it cannot be opened");
  // Read one byte beyond the limit: the file may have grown since stat.
  std::string bytes(static_cast<size_t>(size) + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.bad()) return unreadable("reading it failed");
  bytes.resize(static_cast<size_t>(in.gcount()));
  if (bytes.size() > options.max_image_bytes) return too_large(bytes.size());
  return bytes;
}

// --- Search and list helpers ---

Status ParseSearchCommon(const json& body, SearchRequest* search) {
  CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &search->collection_id));
  CANDOR_RETURN_IF_ERROR(OptionalCount(body, "MaxFaces", 1, 4096, &search->max_faces));
  return OptionalPercent(body, "FaceMatchThreshold", &search->face_match_threshold);
}

// MaxResults in [min_results, max_results] as the operation's model has it.
StatusOr<ListRequest> ParseList(const json& body, bool has_collection, int min_results,
                                int max_results) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  ListRequest request;
  if (has_collection) CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &request.collection_id));
  CANDOR_RETURN_IF_ERROR(OptionalNextToken(body, &request.next_token));
  CANDOR_RETURN_IF_ERROR(
      OptionalCount(body, "MaxResults", min_results, max_results, &request.max_results));
  return request;
}

}  // namespace

// A count (MaxFaces, MaxResults, MaxUsers) in [min, max]; `*out` is left
// alone when it is absent. Integral floats (3.0) are accepted; 3.5 is not an
// Integer and is refused as SerializationException.
Status OptionalCount(const json& body, const char* name, int min, int max, int* out) {
  const json* v = Member(body, name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number()) return Status::Serialization(std::string(name) + " must be a number");
  bool in_range = false;
  int64_t value = 0;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    in_range = u <= static_cast<uint64_t>(max) && static_cast<int64_t>(u) >= min;
    value = static_cast<int64_t>(std::min<uint64_t>(u, static_cast<uint64_t>(max)));
  } else if (v->is_number_integer()) {
    value = v->get<int64_t>();
    in_range = value >= min && value <= max;
  } else {
    const double d = v->get<double>();
    if (!std::isfinite(d) || d != std::trunc(d)) {
      return Status::Serialization(std::string(name) + " must be an integer, got " +
                                   NumberText(*v));
    }
    in_range = d >= min && d <= max;
    if (in_range) value = static_cast<int64_t>(d);
  }
  if (!in_range) {
    return Status::InvalidArgument(std::string(name) + " must be between " + std::to_string(min) +
                                   " and " + std::to_string(max) + ", got " + NumberText(*v));
  }
  *out = static_cast<int>(value);
  return Status::Ok();
}

Status OptionalCappedCount(const json& body, const char* name, int min, int cap, int* out) {
  const json* v = Member(body, name);
  if (v != nullptr && v->is_number()) {
    const bool above = v->is_number_unsigned()  ? v->get<uint64_t>() > static_cast<uint64_t>(cap)
                       : v->is_number_integer() ? v->get<int64_t>() > cap
                                                : v->get<double>() > cap;
    // Integral and finite: 1e400 and 1000.5 are still refused below.
    const double d = v->get<double>();
    if (above && std::isfinite(d) && (!v->is_number_float() || d == std::trunc(d))) {
      *out = cap;
      return Status::Ok();
    }
  }
  return OptionalCount(body, name, min, cap, out);
}

Status OptionalNextToken(const json& body, std::string* out) {
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "NextToken", out));
  if (out->size() > kMaxNextTokenChars) {
    return Status::InvalidPaginationToken("NextToken is longer than " +
                                          std::to_string(kMaxNextTokenChars) + " characters");
  }
  return Status::Ok();
}

StatusOr<std::string> DecodeBase64(std::string_view text) {
  CANDOR_ASSIGN_OR_RETURN(const size_t size, DecodedBase64Size(text));
  std::string out(size, '\0');
  if (text.empty()) return out;
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  auto* dst = reinterpret_cast<uint8_t*>(out.data());
  // Every group but the last has four alphabet characters.
  const size_t full_groups = text.size() / 4 - 1;
  const auto bad_character = [&text](size_t from) {
    size_t i = from;
    while (i < text.size() && !(kDecodeTable[0][static_cast<uint8_t>(text[i])] & kNotBase64)) ++i;
    return NotBase64("character " + std::to_string(i) + " is outside the alphabet");
  };
  for (size_t g = 0; g < full_groups; ++g, in += 4, dst += 3) {
    const uint32_t v = kDecodeTable[0][in[0]] | kDecodeTable[1][in[1]] | kDecodeTable[2][in[2]] |
                       kDecodeTable[3][in[3]];
    if (v & kNotBase64) return bad_character(g * 4);
    dst[0] = static_cast<uint8_t>(v >> 16);
    dst[1] = static_cast<uint8_t>(v >> 8);
    dst[2] = static_cast<uint8_t>(v);
  }
  // The last group: 2, 3 or 4 alphabet characters, then padding.
  const size_t chars = 4 - (text.size() / 4 * 3 - size);
  uint32_t v = 0;
  for (size_t k = 0; k < chars; ++k) v |= kDecodeTable[k][in[k]];
  if (v & kNotBase64) return bad_character(full_groups * 4);
  dst[0] = static_cast<uint8_t>(v >> 16);
  if (chars >= 3) dst[1] = static_cast<uint8_t>(v >> 8);
  if (chars == 4) dst[2] = static_cast<uint8_t>(v);
  return out;
}

std::string EncodeBase64(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '=');
  const auto* in = reinterpret_cast<const uint8_t*>(bytes.data());
  char* dst = out.data();
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3, dst += 4) {
    const uint32_t v = uint32_t{in[i]} << 16 | uint32_t{in[i + 1]} << 8 | in[i + 2];
    dst[0] = kBase64Alphabet[v >> 18];
    dst[1] = kBase64Alphabet[(v >> 12) & 63];
    dst[2] = kBase64Alphabet[(v >> 6) & 63];
    dst[3] = kBase64Alphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    const uint32_t v = uint32_t{in[i]} << 16 | (rest == 2 ? uint32_t{in[i + 1]} << 8 : 0);
    dst[0] = kBase64Alphabet[v >> 18];
    dst[1] = kBase64Alphabet[(v >> 12) & 63];
    if (rest == 2) dst[2] = kBase64Alphabet[(v >> 6) & 63];
  }
  return out;
}

std::vector<std::string> AttributesNotProduced(const json& body, const char* name) {
  std::vector<std::string> out;
  const json* v = Member(body, name);
  if (v == nullptr || !v->is_array()) return out;
  const bool all = std::find(v->begin(), v->end(), json("ALL")) != v->end();
  for (const auto& [attribute, set] : kAttributeNames) {
    if (set != AttributeSet::kDefault) continue;
    if (all || std::find(v->begin(), v->end(), json(attribute)) != v->end()) {
      out.emplace_back(attribute);
    }
  }
  return out;
}

StatusOr<QualityFilter> ParseQualityFilter(std::string_view name) {
  static constexpr std::pair<std::string_view, QualityFilter> kFilters[] = {
      {"NONE", QualityFilter::kNone},
      {"AUTO", QualityFilter::kAuto},
      {"LOW", QualityFilter::kLow},
      {"MEDIUM", QualityFilter::kMedium},
      {"HIGH", QualityFilter::kHigh}};
  for (const auto& [filter_name, filter] : kFilters) {
    if (name == filter_name) return filter;
  }
  return Status::InvalidArgument("QualityFilter must be NONE, AUTO, LOW, MEDIUM or HIGH, got '" +
                                 std::string(name.substr(0, 64)) + "'");
}

StatusOr<std::string> ParseImage(const json& body, std::string_view member,
                                 const RequestOptions& options) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  const std::string name(member);
  const json* image = Member(body, name.c_str());
  if (image == nullptr) return Required(name);
  if (!image->is_object()) return Status::Serialization(name + " must be an object");
  const json* bytes = Member(*image, "Bytes");
  const json* s3 = Member(*image, "S3Object");
  if ((bytes == nullptr) == (s3 == nullptr)) {
    return Status::InvalidArgument(name + " must hold exactly one of Bytes and S3Object");
  }
  std::string decoded;
  if (s3 != nullptr) {
    CANDOR_ASSIGN_OR_RETURN(decoded, ReadS3Object(*s3, name, options));
  } else {
    if (!bytes->is_string()) return Status::Serialization(name + ".Bytes must be a base64 string");
    const std::string& text = bytes->get_ref<const std::string&>();
    // The size is known from the length and padding: a string far above the
    // limit is refused before any byte of it is decoded.
    const auto size = DecodedBase64Size(text);
    if (!size.ok()) {
      return Status::InvalidArgument(name + ".Bytes is not valid base64 (" +
                                     size.status().message() + ")");
    }
    if (*size > options.max_image_bytes) {
      return Status::ImageTooLarge(name + ".Bytes is " + std::to_string(*size) +
                                   " bytes once decoded; the limit is " +
                                   std::to_string(options.max_image_bytes));
    }
    auto result = DecodeBase64(text);
    if (!result.ok()) {
      return Status::InvalidArgument(name + ".Bytes is not valid base64 (" +
                                     result.status().message() + ")");
    }
    decoded = std::move(result).value();
  }
  if (decoded.empty()) return Status::InvalidArgument(name + " is empty");
  return decoded;
}

StatusOr<DetectFacesRequest> ParseDetectFaces(const json& body, const RequestOptions& o) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  DetectFacesRequest request;
  CANDOR_RETURN_IF_ERROR(OptionalAttributes(body, "Attributes", &request.attributes));
  CANDOR_ASSIGN_OR_RETURN(request.image_bytes, ParseImage(body, "Image", o));
  return request;
}

StatusOr<CompareFacesRequest> ParseCompareFaces(const json& body, const RequestOptions& o) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  CompareFacesRequest request;
  CANDOR_RETURN_IF_ERROR(
      OptionalPercent(body, "SimilarityThreshold", &request.similarity_threshold));
  CANDOR_RETURN_IF_ERROR(OptionalQualityFilter(body, &request.quality_filter));
  CANDOR_ASSIGN_OR_RETURN(request.source_bytes, ParseImage(body, "SourceImage", o));
  CANDOR_ASSIGN_OR_RETURN(request.target_bytes, ParseImage(body, "TargetImage", o));
  return request;
}

StatusOr<std::string> ParseCollectionId(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  std::string collection_id;
  CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &collection_id));
  return collection_id;
}

Status OptionalTags(const json& body, const char* name, Tags* out) {
  const json* v = Member(body, name);
  if (v == nullptr) return Status::Ok();
  const std::string map_error = std::string(name) + " must be a map of strings";
  if (!v->is_object()) return Status::Serialization(map_error);
  Tags tags;
  for (const auto& [key, value] : v->items()) {
    if (!value.is_string()) return Status::Serialization(map_error);
    tags[key] = value.get<std::string>();
  }
  CANDOR_RETURN_IF_ERROR(ValidateTags(tags));
  *out = std::move(tags);
  return Status::Ok();
}

StatusOr<CreateCollectionRequest> ParseCreateCollection(const json& body) {
  CreateCollectionRequest request;
  CANDOR_ASSIGN_OR_RETURN(request.collection_id, ParseCollectionId(body));
  CANDOR_RETURN_IF_ERROR(OptionalTags(body, "Tags", &request.tags));
  return request;
}

StatusOr<TagRequest> ParseTagRequest(const json& body, TagOperation operation) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  TagRequest request;
  CANDOR_RETURN_IF_ERROR(RequiredString(body, "ResourceArn", &request.resource_arn));
  if (request.resource_arn.size() < 20 || request.resource_arn.size() > 2048) {
    return Status::InvalidArgument("ResourceArn must be 20 to 2048 characters");
  }
  if (operation == TagOperation::kTag) {
    if (Member(body, "Tags") == nullptr) return Required("Tags");
    CANDOR_RETURN_IF_ERROR(OptionalTags(body, "Tags", &request.tags));
  } else if (operation == TagOperation::kUntag) {
    const json* keys = Member(body, "TagKeys");
    if (keys == nullptr) return Required("TagKeys");
    if (!keys->is_array()) return Status::Serialization("TagKeys must be a list of strings");
    for (const json& k : *keys) {
      if (!k.is_string()) return Status::Serialization("TagKeys must be a list of strings");
      request.keys.push_back(k.get<std::string>());
    }
    CANDOR_RETURN_IF_ERROR(ValidateTagKeys(request.keys));
  }
  return request;
}

StatusOr<ListRequest> ParseListCollections(const json& body) {
  return ParseList(body, /*has_collection=*/false, 0, 4096);
}

StatusOr<ListRequest> ParseListFaces(const json& body) {
  CANDOR_ASSIGN_OR_RETURN(ListRequest request, ParseList(body, /*has_collection=*/true, 0, 4096));
  bool has_user_id = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "UserId", &request.filter.user_id, &has_user_id));
  if (has_user_id) CANDOR_RETURN_IF_ERROR(ValidateUserId(request.filter.user_id));
  if (Member(body, "FaceIds") != nullptr) {
    CANDOR_RETURN_IF_ERROR(RequiredFaceIds(body, 1, 4096, &request.filter.face_ids));
  }
  return request;
}

StatusOr<ListRequest> ParseListUsers(const json& body) {
  return ParseList(body, /*has_collection=*/true, 1, 500);
}

StatusOr<IndexFacesRequest> ParseIndexFaces(const json& body, const RequestOptions& o) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  IndexFacesRequest request;
  CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &request.collection_id));
  bool has_external_id = false;
  CANDOR_RETURN_IF_ERROR(
      OptionalString(body, "ExternalImageId", &request.external_image_id, &has_external_id));
  if (has_external_id) CANDOR_RETURN_IF_ERROR(ValidateExternalImageId(request.external_image_id));
  CANDOR_RETURN_IF_ERROR(
      OptionalAttributes(body, "DetectionAttributes", &request.detection_attributes));
  // Rekognition indexes at most the 100 largest faces: more is capped.
  CANDOR_RETURN_IF_ERROR(OptionalCappedCount(body, "MaxFaces", 1, 100, &request.max_faces));
  CANDOR_RETURN_IF_ERROR(OptionalQualityFilter(body, &request.quality_filter));
  CANDOR_ASSIGN_OR_RETURN(request.image_bytes, ParseImage(body, "Image", o));
  return request;
}

StatusOr<DeleteFacesRequest> ParseDeleteFaces(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  DeleteFacesRequest request;
  CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &request.collection_id));
  CANDOR_RETURN_IF_ERROR(RequiredFaceIds(body, 1, 4096, &request.face_ids));
  return request;
}

StatusOr<SearchFacesByImageRequest> ParseSearchFacesByImage(const json& body,
                                                            const RequestOptions& o) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  SearchFacesByImageRequest request;
  CANDOR_RETURN_IF_ERROR(ParseSearchCommon(body, &request.search));
  CANDOR_RETURN_IF_ERROR(OptionalQualityFilter(body, &request.search.quality_filter));
  CANDOR_ASSIGN_OR_RETURN(request.image_bytes, ParseImage(body, "Image", o));
  return request;
}

StatusOr<SearchFacesByIdRequest> ParseSearchFaces(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  SearchFacesByIdRequest request;
  CANDOR_RETURN_IF_ERROR(ParseSearchCommon(body, &request.search));
  CANDOR_RETURN_IF_ERROR(RequiredString(body, "FaceId", &request.face_id));
  CANDOR_RETURN_IF_ERROR(ValidateFaceId(request.face_id));
  return request;
}

StatusOr<UserRequest> ParseUserRequest(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  UserRequest request;
  CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &request.collection_id));
  CANDOR_RETURN_IF_ERROR(RequiredUserId(body, &request.user_id));
  CANDOR_RETURN_IF_ERROR(OptionalClientRequestToken(body, &request.client_request_token));
  return request;
}

StatusOr<AssociateFacesRequest> ParseAssociateFaces(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  AssociateFacesRequest request;
  CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &request.collection_id));
  CANDOR_RETURN_IF_ERROR(RequiredUserId(body, &request.user_id));
  CANDOR_RETURN_IF_ERROR(RequiredFaceIds(body, 1, 100, &request.face_ids));
  CANDOR_RETURN_IF_ERROR(
      OptionalPercent(body, "UserMatchThreshold", &request.user_match_threshold));
  CANDOR_RETURN_IF_ERROR(OptionalClientRequestToken(body, &request.client_request_token));
  return request;
}

StatusOr<DisassociateFacesRequest> ParseDisassociateFaces(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  DisassociateFacesRequest request;
  CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &request.collection_id));
  CANDOR_RETURN_IF_ERROR(RequiredUserId(body, &request.user_id));
  CANDOR_RETURN_IF_ERROR(RequiredFaceIds(body, 1, 100, &request.face_ids));
  CANDOR_RETURN_IF_ERROR(OptionalClientRequestToken(body, &request.client_request_token));
  return request;
}

StatusOr<SearchUsersRequest> ParseSearchUsers(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  SearchUsersRequest request;
  CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &request.collection_id));
  bool has_user_id = false, has_face_id = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "UserId", &request.user_id, &has_user_id));
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "FaceId", &request.face_id, &has_face_id));
  if (has_user_id == has_face_id) {
    return Status::InvalidArgument("SearchUsers needs exactly one of UserId and FaceId");
  }
  if (has_user_id) CANDOR_RETURN_IF_ERROR(ValidateUserId(request.user_id));
  if (has_face_id) CANDOR_RETURN_IF_ERROR(ValidateFaceId(request.face_id));
  CANDOR_RETURN_IF_ERROR(
      OptionalPercent(body, "UserMatchThreshold", &request.user_match_threshold));
  CANDOR_RETURN_IF_ERROR(OptionalCount(body, "MaxUsers", 1, 500, &request.max_users));
  return request;
}

StatusOr<SearchUsersByImageFullRequest> ParseSearchUsersByImage(const json& body,
                                                                const RequestOptions& o) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  SearchUsersByImageFullRequest request;
  SearchUsersByImageRequest& search = request.search;
  CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &search.collection_id));
  CANDOR_RETURN_IF_ERROR(OptionalPercent(body, "UserMatchThreshold", &search.user_match_threshold));
  CANDOR_RETURN_IF_ERROR(OptionalCount(body, "MaxUsers", 1, 500, &search.max_users));
  CANDOR_RETURN_IF_ERROR(OptionalQualityFilter(body, &search.quality_filter));
  CANDOR_ASSIGN_OR_RETURN(request.image_bytes, ParseImage(body, "Image", o));
  return request;
}

namespace {

Status OptionalBool(const json& body, const char* name, bool* out) {
  const json* v = Member(body, name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_boolean()) return Status::Serialization(std::string(name) + " must be a boolean");
  *out = v->get<bool>();
  return Status::Ok();
}

// Epoch seconds (AWS's JSON timestamps) as milliseconds.
Status OptionalTimestampMs(const json& body, const char* name, int64_t* out_ms) {
  const json* v = Member(body, name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number()) {
    return Status::Serialization(std::string(name) + " must be a number (epoch seconds)");
  }
  const double seconds = v->get<double>();
  if (!(seconds >= 0 && seconds < 1e11)) {
    return Status::InvalidArgument(std::string(name) + " must be epoch seconds, got " +
                                   NumberText(*v));
  }
  *out_ms = static_cast<int64_t>(seconds * 1000.0);
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> ParsePolicyUpdate(const json& body, CollectionPolicy* policy) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  std::string id;
  CANDOR_RETURN_IF_ERROR(RequiredCollectionId(body, &id));
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "Purpose", &policy->purpose));
  CANDOR_RETURN_IF_ERROR(OptionalPercent(body, "ThresholdFloor", &policy->threshold_floor));
  CANDOR_RETURN_IF_ERROR(OptionalBool(body, "RefuseBelowFloor", &policy->refuse_below_floor));
  CANDOR_RETURN_IF_ERROR(OptionalCount(body, "MaxFaces", 1, 4096, &policy->max_faces));
  CANDOR_RETURN_IF_ERROR(OptionalBool(body, "ReasonRequired", &policy->reason_required));
  int retention = static_cast<int>(policy->retention_days);
  CANDOR_RETURN_IF_ERROR(OptionalCount(body, "RetentionDays", 0, 36500, &retention));
  policy->retention_days = retention;
  return id;
}

json CollectionPolicyJson(const CollectionPolicy& p) {
  return {{"Purpose", p.purpose},
          {"ThresholdFloor", p.threshold_floor},
          {"RefuseBelowFloor", p.refuse_below_floor},
          {"MaxFaces", p.max_faces},
          {"ReasonRequired", p.reason_required},
          {"RetentionDays", p.retention_days},
          {"UpdatedTimestamp", static_cast<double>(p.updated_ms) / 1000.0}};
}

StatusOr<audit::AuditQuery> ParseAuditQuery(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  audit::AuditQuery q;
  CANDOR_RETURN_IF_ERROR(OptionalTimestampMs(body, "StartTime", &q.from_ms));
  CANDOR_RETURN_IF_ERROR(OptionalTimestampMs(body, "EndTime", &q.to_ms));
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "Principal", &q.principal));
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "CollectionId", &q.collection_id));
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "Operation", &q.operation));
  CANDOR_RETURN_IF_ERROR(OptionalCount(body, "MaxResults", 1, 1000, &q.max_results));
  CANDOR_RETURN_IF_ERROR(OptionalNextToken(body, &q.next_token));
  if (q.principal.size() > 256 || q.collection_id.size() > 255 || q.operation.size() > 64) {
    return Status::InvalidArgument("Principal, CollectionId or Operation is too long");
  }
  return q;
}

}  // namespace candor::protocol
