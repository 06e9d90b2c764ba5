// Rekognition JSON request bodies parsed into the library's request structs,
// with Rekognition's validation and AWS's error types:
//   SerializationException: a member of the wrong JSON type (a string where a
//     number is expected, an object where a list is, ...), or a body that is
//     not a JSON object.
//   InvalidParameterException: a required member missing, a value out of
//     range or not matching its pattern, Image.Bytes that is not base64, an
//     Image with neither or both of Bytes and S3Object.
//   ImageTooLargeException: Image.Bytes above 5 MB once decoded.
//   InvalidS3ObjectException: an S3Object when no object root is configured,
//     or an object that cannot be read (a key escaping the root included).
// Unknown members are ignored, as AWS services do; a member that is JSON null
// counts as absent (AWS SDKs never send null; other clients may).
// Counts (MaxFaces, MaxResults, MaxUsers) must be integers: 3.0 is taken as
// 3, but 3.5 is a SerializationException (it does not fit the Integer shape;
// silently truncating it would hide a client bug). Thresholds are any JSON
// number in 0..100. Range errors name the member and the value sent.
//
// Thread safety: pure functions (S3Object images read files).
#ifndef CANDOR_PROTOCOL_REQUESTS_H_
#define CANDOR_PROTOCOL_REQUESTS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "candor/engine.h"
#include "candor/status.h"

namespace candor::protocol {

struct RequestOptions {
  // Where S3Object images are read from: <s3_root>/<Bucket>/<Name>. Empty:
  // S3Object is refused with InvalidS3ObjectException.
  std::string s3_root;
  size_t max_image_bytes = 5 * 1024 * 1024;  // Rekognition's limit for Bytes
};

// Strict base64 (RFC 4648's standard alphabet, padding required, length a
// multiple of 4, no whitespace); InvalidParameter on anything else. Non-zero
// unused bits in the last character are accepted, as Java's and Python's
// decoders accept them.
StatusOr<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view bytes);

// Rekognition's QualityFilter names: NONE, AUTO, LOW, MEDIUM, HIGH
// (case-sensitive, as in Rekognition); InvalidParameter on anything else.
StatusOr<QualityFilter> ParseQualityFilter(std::string_view name);

// The bytes of the image in body[member] ("Image", "SourceImage", ...):
// exactly one of Bytes (base64; its decoded size is checked against
// max_image_bytes before decoding) and S3Object, read from
// <s3_root>/<Bucket>/<Name>. Bucket: [a-z0-9.-]{3,63}, beginning and ending
// with a letter or digit, as S3 requires; Name: 1 to 1024 bytes, no NUL, not
// absolute, and once resolved (symbolic links included) inside the bucket's
// directory. The bucket directory itself may be a link placed by the operator.
// An empty image is InvalidParameter.
StatusOr<std::string> ParseImage(const nlohmann::json& body, std::string_view member,
                                 const RequestOptions& options);

// The local file an S3Object ({Bucket, Name, Version?}) names, checked as
// ParseImage checks it (the same errors; `prefix` names the member in them,
// e.g. "Video.S3Object") and that it is a regular file; its size is not
// limited here. Used for stored videos (protocol/video_requests.h).
StatusOr<std::string> ResolveS3Object(const nlohmann::json& s3, const std::string& prefix,
                                      const RequestOptions& options);

// A count (MaxFaces, MaxResults, MaxUsers) in [min, max]; `*out` is left
// alone when it is absent. Integral floats (3.0) are accepted; 3.5 is not an
// Integer and is refused as SerializationException.
Status OptionalCount(const nlohmann::json& body, const char* name, int min, int max, int* out);
// A count that Rekognition caps rather than bounds (IndexFaces MaxFaces at
// 100, GetFaceDetection MaxResults at 1000): a larger integer means `cap`.
Status OptionalCappedCount(const nlohmann::json& body, const char* name, int min, int cap,
                           int* out);
// NextToken, at most Rekognition's 255 characters (InvalidPaginationToken).
constexpr size_t kMaxNextTokenChars = 255;
Status OptionalNextToken(const nlohmann::json& body, std::string* out);

struct DetectFacesRequest {
  std::string image_bytes;
  AttributeSet attributes = AttributeSet::kDefault;  // Attributes: DEFAULT, ALL or named ones
};

// The attributes that `body`'s list `name` (Attributes, DetectionAttributes)
// asks for, by naming them or ALL, that no network here produces (BEARD,
// EYEGLASSES, ...), in Rekognition's spelling; empty when none.
std::vector<std::string> AttributesNotProduced(const nlohmann::json& body, const char* name);

struct CompareFacesRequest {
  std::string source_bytes;
  std::string target_bytes;
  float similarity_threshold = 80;  // 0..100
  QualityFilter quality_filter = QualityFilter::kNone;
};

struct ListRequest {
  std::string collection_id;  // empty for ListCollections
  std::string next_token;
  int max_results = 0;  // 0: the operation's default
  FaceListFilter filter;  // ListFaces only
};

struct SearchFacesByImageRequest {
  SearchRequest search;
  std::string image_bytes;
};

struct SearchFacesByIdRequest {
  SearchRequest search;
  std::string face_id;
};

struct DeleteFacesRequest {
  std::string collection_id;
  std::vector<std::string> face_ids;  // 1..4096
};

struct SearchUsersByImageFullRequest {
  SearchUsersByImageRequest search;
  std::string image_bytes;
};

StatusOr<DetectFacesRequest> ParseDetectFaces(const nlohmann::json& body, const RequestOptions& o);
StatusOr<CompareFacesRequest> ParseCompareFaces(const nlohmann::json& body,
                                                const RequestOptions& o);
// DescribeCollection, DeleteCollection: the CollectionId.
StatusOr<std::string> ParseCollectionId(const nlohmann::json& body);
// A Tags member (CreateCollection, CreateStreamProcessor, TagResource):
// a map of strings checked by ValidateTags; `*out` is left alone when absent.
Status OptionalTags(const nlohmann::json& body, const char* name, Tags* out);
struct CreateCollectionRequest {
  std::string collection_id;
  Tags tags;
};
StatusOr<CreateCollectionRequest> ParseCreateCollection(const nlohmann::json& body);
// TagResource (ResourceArn, Tags), UntagResource (ResourceArn, TagKeys),
// ListTagsForResource (ResourceArn).
enum class TagOperation { kTag, kUntag, kList };
struct TagRequest {
  std::string resource_arn;
  Tags tags;
  std::vector<std::string> keys;
};
StatusOr<TagRequest> ParseTagRequest(const nlohmann::json& body, TagOperation operation);
StatusOr<ListRequest> ParseListCollections(const nlohmann::json& body);
// ListFaces' UserId and FaceIds (1..4096) filters are validated as
// Rekognition does.
StatusOr<ListRequest> ParseListFaces(const nlohmann::json& body);
StatusOr<ListRequest> ParseListUsers(const nlohmann::json& body);
StatusOr<IndexFacesRequest> ParseIndexFaces(const nlohmann::json& body, const RequestOptions& o);
StatusOr<DeleteFacesRequest> ParseDeleteFaces(const nlohmann::json& body);
StatusOr<SearchFacesByImageRequest> ParseSearchFacesByImage(const nlohmann::json& body,
                                                            const RequestOptions& o);
StatusOr<SearchFacesByIdRequest> ParseSearchFaces(const nlohmann::json& body);
StatusOr<UserRequest> ParseUserRequest(const nlohmann::json& body);  // CreateUser, DeleteUser
StatusOr<AssociateFacesRequest> ParseAssociateFaces(const nlohmann::json& body);
StatusOr<DisassociateFacesRequest> ParseDisassociateFaces(const nlohmann::json& body);
StatusOr<SearchUsersRequest> ParseSearchUsers(const nlohmann::json& body);
StatusOr<SearchUsersByImageFullRequest> ParseSearchUsersByImage(const nlohmann::json& body,
                                                                const RequestOptions& o);

// --- Candor's operations (X-Amz-Target: Candor.<Operation>) ---

// Candor.PutCollectionPolicy: {"CollectionId", "Purpose", "ThresholdFloor",
// "RefuseBelowFloor", "MaxFaces", "ReasonRequired", "RetentionDays"}; only
// the members present change `*policy` (read-modify-write).
StatusOr<std::string> ParsePolicyUpdate(const nlohmann::json& body, CollectionPolicy* policy);
nlohmann::json CollectionPolicyJson(const CollectionPolicy& policy);

// Candor.ListAuditEvents: {"StartTime", "EndTime" (epoch seconds, as AWS
// timestamps), "Principal", "CollectionId", "Operation", "MaxResults"
// (1..1000), "NextToken"}.
StatusOr<audit::AuditQuery> ParseAuditQuery(const nlohmann::json& body);

}  // namespace candor::protocol

#endif  // CANDOR_PROTOCOL_REQUESTS_H_
